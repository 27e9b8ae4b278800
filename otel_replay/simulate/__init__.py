"""A simulated user: describe the real one, write persona variants, and carry a replay on
after it diverges from its recording, then check the expected outcome.

Above `evals` (it calls a model endpoint and a judge the way evaluators do) and `replay`
(it steers the runner turn by turn); the application layer calls it.
"""
