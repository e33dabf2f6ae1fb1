"""The programme's rules as plain functions over plain data: no Teams, no database, no clock."""
