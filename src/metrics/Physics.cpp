// Separation, weighted correlation and significance (being written).
