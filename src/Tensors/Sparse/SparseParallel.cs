namespace NativeFree.Tensors.Sparse;

/// <summary>Coarse row partitions for the sparse kernels: contiguous row ranges of about equal work.</summary>
internal static class SparseParallel
{
    /// <summary>
    /// Splits CSR rows into <paramref name="parts"/> contiguous ranges of about equal weight, the weight of
    /// a row being its stored entries plus <paramref name="perRow"/> (which keeps runs of empty rows
    /// bounded). Binary search in the row pointers: O(parts·log m) time and no O(m) scratch.
    /// Returns part boundaries (length parts+1).
    /// </summary>
    public static int[] SplitByNnz(int[] rowPtr, int parts, long perRow = 1)
    {
        int m = rowPtr.Length - 1;
        var bounds = new int[parts + 1];
        bounds[parts] = m;
        long total = rowPtr[m] + perRow * m;
        for (int p = 1; p < parts; p++)
        {
            long target = total * p / parts;
            int lo = bounds[p - 1], hi = m;
            while (lo < hi)
            {
                int mid = (int)(((uint)lo + (uint)hi) >> 1);
                if (rowPtr[mid] + perRow * mid < target) lo = mid + 1; else hi = mid;
            }
            bounds[p] = lo;
        }
        return bounds;
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
