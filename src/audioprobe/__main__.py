from audioprobe.cli import app

app(prog_name="audioprobe")
