"""params.yaml: typed, validated params, and the catalog of names they are checked against."""
