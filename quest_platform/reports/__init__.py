"""Reports for teachers: engagement, predictions and grades as charts and tables, on the admin
dashboard and as files from ``manage.py report`` (CSV, XLSX, HTML that opens offline, Markdown)."""
