print("bench-federation: being written")
