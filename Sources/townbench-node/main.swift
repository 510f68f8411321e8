import Foundation
print("townbench-node: being written")
