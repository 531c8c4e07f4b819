"""PDF builders (ReportLab). Plain functions: data in, bytes out; no request objects."""
