"""What the emulator writes: the CloudWatch-format stream with Lambda's platform lines
(START, END, REPORT), the instance event log, and the samples it measures about itself."""
