namespace NativeFree.Tensors.Sparse;

/// <summary>Coarse row partitions for the sparse kernels: contiguous row ranges of about equal work.</summary>
internal static class SparseParallel
{
    /// <summary>
    /// Splits rows into <paramref name="parts"/> contiguous ranges of about equal weight, where the
    /// weight of row i is <c>cumulative[i+1] − cumulative[i]</c> plus <paramref name="perRow"/>.
    /// Returns part boundaries (length parts+1).
    /// </summary>
    public static int[] Split(ReadOnlySpan<long> cumulative, int parts, long perRow = 1)
    {
        int m = cumulative.Length - 1;
        var bounds = new int[parts + 1];
        long total = cumulative[m] + perRow * m;
        int i = 0;
        for (int p = 1; p < parts; p++)
        {
            long target = total * p / parts;
            while (i < m && cumulative[i + 1] + perRow * (i + 1) <= target) i++;
            bounds[p] = i;
        }
        bounds[parts] = m;
        return bounds;
    }

    /// <summary>Split for a CSR row-pointer array (weight = nnz of the row + 1).</summary>
    public static int[] SplitByNnz(int[] rowPtr, int parts)
    {
        var cum = new long[rowPtr.Length];
        for (int i = 0; i < rowPtr.Length; i++) cum[i] = rowPtr[i];
        return Split(cum, parts);
    }

    /// <summary>Runs <paramref name="body"/>(part) for every part on up to <paramref name="threads"/> threads.</summary>
    public static void For(int parts, int threads, Action<int> body)
    {
        if (threads <= 1 || parts <= 1)
        {
            for (int p = 0; p < parts; p++) body(p);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    /// <summary>How many parts to cut <paramref name="work"/> units into for <paramref name="threads"/> threads (1 when small).</summary>
    public static int Parts(long work, int threads, long minWorkPerPart = 1 << 14)
    {
        if (threads <= 1) return 1;
        long byWork = Math.Max(1, work / minWorkPerPart);
        return (int)Math.Min(byWork, 4L * threads);
    }
}
