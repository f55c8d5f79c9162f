"""`audioprobe view`: a local web server listing runs and serving their reports."""
