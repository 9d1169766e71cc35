using System.Collections.Concurrent;

namespace NativeFree.Kernels.Internal;

/// <summary>
/// Exact-length double[] buffers reused across tiles. Tile arrays are large (128×128 doubles exceed the
/// large-object threshold), so allocating them per tile churns the LOH and triggers full collections;
/// kernels index by <c>Length</c>, so ArrayPool's longer arrays would not do.
/// </summary>
internal static class TileBuffers
{
    private static readonly ConcurrentDictionary<int, ConcurrentBag<double[]>> Free = new();
    private const int MaxPerSize = 16;

    /// <summary>A zeroed array of exactly <paramref name="length"/> elements.</summary>
    public static double[] Rent(int length)
    {
        if (length >= 8192 && Free.TryGetValue(length, out var bag) && bag.TryTake(out var a))
        {
            Array.Clear(a);
            return a;
        }
        return new double[length];
    }

    /// <summary>
    /// An array of exactly <paramref name="length"/> elements with unspecified contents, for callers that write every
    /// element: a reused one when available (its pages are already mapped: a fresh multi-megabyte array costs a page
    /// fault per 4 KB on first touch), else a new one the runtime need not zero.
    /// </summary>
    public static double[] RentUncleared(int length)
    {
        if (length >= 8192 && Free.TryGetValue(length, out var bag) && bag.TryTake(out var a)) return a;
        return GC.AllocateUninitializedArray<double>(length);
    }

    /// <summary>Gives an array back (ignored for small arrays or a full bin).</summary>
    public static void Return(double[]? a)
    {
        if (a is null || a.Length < 8192) return;
        var bag = Free.GetOrAdd(a.Length, _ => new ConcurrentBag<double[]>());
        if (bag.Count < MaxPerSize) bag.Add(a);
    }
}
