// Placeholder: the Node module is being written.
