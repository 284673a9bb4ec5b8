"""Server-rendered pages for clients (and professionals without a frontend): templates, i18n, safety."""
