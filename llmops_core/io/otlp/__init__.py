"""OTLP/HTTP traces: decoding export requests (protobuf or JSON, gzip), reading spans, and
mapping LLM spans onto model-output rows by the GenAI, OpenInference and Langfuse conventions.

Pure: no Django. The web request decodes and checks a batch (``decode``, ``spans``); the worker
decodes it again and maps it (``mapping``).
"""
