// Placeholder: the Coordinator module is being written.
