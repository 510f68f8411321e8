print("bench-indicators: being written")
