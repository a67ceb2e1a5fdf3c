# checkov loads the Python policies of this package with --external-checks-dir infra/checkov.
