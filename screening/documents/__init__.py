"""PDF documents: the queries that assemble their data, the background batch jobs and the
download views (the ReportLab builders are in the top-level reports/ package)."""
