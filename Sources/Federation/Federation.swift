// Placeholder: the Federation module is being written.
