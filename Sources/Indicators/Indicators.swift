// Placeholder: the Indicators module is being written.
