print("townbench-coordinator: being written")
