using NativeFree.Tensors;
using NativeFree.Tensors.Sparse;

namespace NativeFree.Tensors.Tests.Sparse;

/// <summary>Random sparse inputs with a dense oracle built independently of the CSR code.</summary>
internal static class SparseTestData
{
    /// <summary>A shape that often hits the edges: 0, 1, 1×n, n×1, and small rectangles.</summary>
    public static (int M, int N) Shape(Random rng)
    {
        int Pick() => rng.Next(6) switch { 0 => 0, 1 => 1, _ => rng.Next(1, 13) };
        return (Pick(), Pick());
    }

    /// <summary>
    /// Random triplets (with duplicates, empty rows/columns, sometimes all zero) added to a COO builder
    /// and to a plain double[,] in the same order.
    /// </summary>
    public static (CooBuilder<double> Coo, double[,] Dense) Random(Random rng, int m, int n)
    {
        var coo = new CooBuilder<double>(m, n);
        var dense = new double[m, n];
        if (m == 0 || n == 0) return (coo, dense);
        int mode = rng.Next(5);
        int count = mode == 0 ? 0 : rng.Next(0, 2 * m * n + 1);
        for (int e = 0; e < count; e++)
        {
            // Bias towards a few rows/columns so some stay empty and duplicates are common.
            int i = rng.Next(3) == 0 ? rng.Next(Math.Min(m, 2)) : rng.Next(m);
            int j = rng.Next(3) == 0 ? rng.Next(Math.Min(n, 2)) : rng.Next(n);
            double v = mode == 1 ? 0.0 : rng.Next(-4, 5) + 0.25 * rng.Next(4);
            coo.Add(i, j, v);
            dense[i, j] += v;
        }
        return (coo, dense);
    }

    public static CsrMatrix<double> RandomCsr(Random rng, int m, int n, out double[,] dense)
    {
        var (coo, d) = Random(rng, m, n);
        dense = d;
        return coo.ToCsr();
    }

    /// <summary>A CSR matrix with its rows shuffled (unsorted indices), same elements.</summary>
    public static CsrMatrix<double> Shuffle(Random rng, CsrMatrix<double> a)
    {
        var rp = a.RowPointers.ToArray();
        var ci = a.ColumnIndices.ToArray();
        var v = a.Values.ToArray();
        for (int i = 0; i < a.Rows; i++)
            for (int p = rp[i + 1] - 1; p > rp[i]; p--)
            {
                int q = rng.Next(rp[i], p + 1);
                (ci[p], ci[q]) = (ci[q], ci[p]);
                (v[p], v[q]) = (v[q], v[p]);
            }
        return new CsrMatrix<double>(a.Rows, a.Columns, rp, ci, v);
    }

    public static double[,] DenseProduct(double[,] a, double[,] b)
    {
        int m = a.GetLength(0), k = a.GetLength(1), n = b.GetLength(1);
        var c = new double[m, n];
        for (int i = 0; i < m; i++)
            for (int t = 0; t < k; t++)
                for (int j = 0; j < n; j++) c[i, j] += a[i, t] * b[t, j];
        return c;
    }

    public static double[,] ToArray2(Tensor<double> t)
    {
        int m = t.Shape[0], n = t.Shape[1];
        var r = new double[m, n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) r[i, j] = t[i, j];
        return r;
    }

    public static double[,] ToArray2(CsrMatrix<double> a)
    {
        var r = new double[a.Rows, a.Columns];
        foreach (var (i, j, v) in a.Entries()) r[i, j] += v;
        return r;
    }

    public static bool Close(double[,] x, double[,] y, double tol = 1e-9)
    {
        if (x.GetLength(0) != y.GetLength(0) || x.GetLength(1) != y.GetLength(1)) return false;
        for (int i = 0; i < x.GetLength(0); i++)
            for (int j = 0; j < x.GetLength(1); j++)
                if (Math.Abs(x[i, j] - y[i, j]) > tol * (1 + Math.Abs(y[i, j]))) return false;
        return true;
    }

    /// <summary>True when every row has strictly increasing columns and no duplicates (checked directly).</summary>
    public static bool RowsSorted(CsrMatrix<double> a)
    {
        for (int i = 0; i < a.Rows; i++)
        {
            var r = a.RowIndices(i);
            for (int p = 1; p < r.Length; p++) if (r[p - 1] >= r[p]) return false;
        }
        return true;
    }

    public static Tensor<double> RandomDense(Random rng, int m, int n)
    {
        var d = new double[m * n];
        for (int i = 0; i < d.Length; i++) d[i] = rng.NextDouble() * 2 - 1;
        return Tensor.FromArray(d, m, n);
    }
}
