"""Hosted voice calls (Vapi, Retell) in: parse a call record, turn it into spans.

Pure: payloads (dicts) in, records and spans out. The importer and the webhook routes
call `call_span_request`; nothing here opens a socket, a file or a database.
"""
