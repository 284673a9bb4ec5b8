"""The function's code, copied here by faas-cli from functions/<name>/."""
