// Kolmogorov-Smirnov two-sample test (being written).
