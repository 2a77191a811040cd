"""The console's pages: thin views over the same querysets, presenters and actions as the API."""
