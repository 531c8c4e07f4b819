"""The municipality's settings, institutions (dagtilbud), groups (stuer) and the roster import."""
