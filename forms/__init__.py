"""WTForms classes for every page. Labels use lazy gettext so they follow the locale."""
