"""Small pieces shared by the convolutional families."""


def num_downsamples(size: int) -> int:
    """How many stride-2 steps fit an image side: halve while it stays even and at least 4, at most 3 times
    (8 -> 4: one; 28 -> 14 -> 7: two; 32 -> 16 -> 8 -> 4: three)."""
    count = 0
    while size % 2 == 0 and size // 2 >= 4 and count < 3:
        size //= 2
        count += 1
    return count
