using System.Numerics;

namespace NativeFree.Tensors.Sparse;

/// <summary>Standard sparse test matrices: R-MAT (Graph500), Erdős–Rényi, and 2-D / 3-D Laplacians.</summary>
public static class SparseGenerators
{
    /// <summary>
    /// An R-MAT graph with 2^<paramref name="scale"/> vertices and <c>edgeFactor·2^scale</c> sampled
    /// edges: each edge picks a quadrant per bit with probabilities a, b, c, d = 1−a−b−c (Graph500:
    /// .57, .19, .19, .05). Directed, self-loops kept; repeated edges are summed, so a value is the
    /// edge's multiplicity — the same construction as the SciPy anchor script.
    /// </summary>
    public static CsrMatrix<T> Rmat<T>(int scale, int edgeFactor = 16, int seed = 1, double a = 0.57, double b = 0.19, double c = 0.19)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (scale < 0 || scale > 30) throw new ArgumentException($"R-MAT scale {scale} must be in [0, 30].", nameof(scale));
        if (edgeFactor < 0) throw new ArgumentException($"R-MAT edge factor {edgeFactor} is negative.", nameof(edgeFactor));
        if (a < 0 || b < 0 || c < 0 || a + b + c > 1) throw new ArgumentException($"R-MAT probabilities a={a}, b={b}, c={c} must be non-negative with a+b+c ≤ 1.");
        int n = 1 << scale;
        long edges = (long)n * edgeFactor;
        if (edges > CsrMatrix<T>.MaxNnz) throw new ArgumentException($"R-MAT scale {scale} × edge factor {edgeFactor} has more than {CsrMatrix<T>.MaxNnz} edges.");
        var rng = new Random(seed);
        var coo = new CooBuilder<T>(n, n);
        for (long e = 0; e < edges; e++)
        {
            int r = 0, col = 0;
            for (int bit = 0; bit < scale; bit++)
            {
                double u = rng.NextDouble();
                bool down = u >= a + b;
                bool right = (u >= a && u < a + b) || u >= a + b + c;
                if (down) r |= 1 << bit;
                if (right) col |= 1 << bit;
            }
            coo.Add(r, col, T.One);
        }
        return coo.ToCsr();
    }

    /// <summary>
    /// An Erdős–Rényi matrix: each of the rows×columns entries is present independently with
    /// probability <paramref name="p"/>, value 1. Sampled by geometric skips, O(nnz) time.
    /// </summary>
    public static CsrMatrix<T> ErdosRenyi<T>(int rows, int columns, double p, int seed = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows < 0 || columns < 0) throw new ArgumentException($"Erdős–Rényi shape [{rows}, {columns}] has a negative size.");
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Erdős–Rényi probability {p} is not in [0, 1].", nameof(p));
        var rng = new Random(seed);
        var rp = new int[rows + 1];
        var cols = new List<int>();
        long total = (long)rows * columns;
        if (p > 0 && total > 0)
        {
            double logq = Math.Log(1 - p);
            long pos = -1;
            while (true)
            {
                // Gap to the next present entry ~ Geometric(p).
                long skip = p >= 1 ? 0 : (long)Math.Floor(Math.Log(1 - rng.NextDouble()) / logq);
                pos += skip + 1;
                if (pos >= total || pos < 0) break;
                if (cols.Count == CsrMatrix<T>.MaxNnz) throw new ArgumentException($"Erdős–Rényi [{rows}, {columns}] with p={p} has too many entries.");
                int i = (int)(pos / columns);
                cols.Add((int)(pos % columns));
                rp[i + 1]++;
            }
        }
        for (int i = 0; i < rows; i++) rp[i + 1] += rp[i];
        var v = new T[cols.Count];
        Array.Fill(v, T.One);
        return new CsrMatrix<T>(rows, columns, rp, cols.ToArray(), v, sorted: true);
    }

    /// <summary>The 5-point Laplacian of an <paramref name="nx"/>×<paramref name="ny"/> grid (Dirichlet): 4 on the diagonal, −1 to each grid neighbour.</summary>
    public static CsrMatrix<T> Laplacian2D<T>(int nx, int ny) where T : unmanaged, IFloatingPointIeee754<T>
        => Laplacian<T>(nx, ny, 1);

    /// <summary>The 7-point Laplacian of an <paramref name="nx"/>×<paramref name="ny"/>×<paramref name="nz"/> grid: 6 on the diagonal, −1 to each neighbour.</summary>
    public static CsrMatrix<T> Laplacian3D<T>(int nx, int ny, int nz) where T : unmanaged, IFloatingPointIeee754<T>
        => Laplacian<T>(nx, ny, nz);

    private static CsrMatrix<T> Laplacian<T>(int nx, int ny, int nz) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (nx < 0 || ny < 0 || nz < 0) throw new ArgumentException($"Grid size {nx}×{ny}×{nz} has a negative side.");
        long nl = (long)nx * ny * nz;
        bool three = nz > 1;
        int stencil = three ? 7 : 5;
        if (nl * stencil > CsrMatrix<T>.MaxNnz) throw new ArgumentException($"Grid {nx}×{ny}×{nz} is too large for a CSR Laplacian.");
        int n = (int)nl;
        var rp = new int[n + 1];
        var ci = new int[n * stencil];
        var v = new T[n * stencil];
        T diag = T.CreateChecked(three ? 6 : 4), off = -T.One;
        int q = 0;
        // Index = (z·ny + y)·nx + x; neighbours in increasing index order so rows come out sorted.
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                {
                    int idx = (z * ny + y) * nx + x;
                    if (z > 0) { ci[q] = idx - nx * ny; v[q++] = off; }
                    if (y > 0) { ci[q] = idx - nx; v[q++] = off; }
                    if (x > 0) { ci[q] = idx - 1; v[q++] = off; }
                    ci[q] = idx; v[q++] = diag;
                    if (x < nx - 1) { ci[q] = idx + 1; v[q++] = off; }
                    if (y < ny - 1) { ci[q] = idx + nx; v[q++] = off; }
                    if (z < nz - 1) { ci[q] = idx + nx * ny; v[q++] = off; }
                    rp[idx + 1] = q;
                }
        Array.Resize(ref ci, q);
        Array.Resize(ref v, q);
        return new CsrMatrix<T>(n, n, rp, ci, v, sorted: true);
    }
}
