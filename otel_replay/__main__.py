from otel_replay.cli.main import main

main()
