public enum DriftTesting {}
