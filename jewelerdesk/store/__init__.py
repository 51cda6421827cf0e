"""All SQL lives here: connection profile, migrations, repositories, document files."""
