using NativeFree.Tensors.LinearAlgebra;

namespace NativeFree.Kernels.Internal;

/// <summary>
/// Symmetric eigendecomposition A = V·diag(λ)·Vᵀ by Householder tridiagonalisation and the implicit QL
/// algorithm with Wilkinson-style shifts (the EISPACK tred2/tql2 pair, rewritten for row-major storage).
/// Internal stand-in until the library's <c>Linalg.Eigh</c> lands; O(n³), fine for a few thousand.
/// </summary>
internal static class SymmetricEigen
{
    /// <summary>Eigenvalues ascending and eigenvectors as the columns of an n×n row-major matrix.</summary>
    public static (double[] Values, double[] Vectors) Decompose(ReadOnlySpan<double> a, int n, CancellationToken ct = default)
    {
        var A = a.ToArray();
        var Q = new double[n * n];
        for (int i = 0; i < n; i++) Q[i * n + i] = 1;
        var d = new double[n];
        var e = new double[n];
        var v = new double[n];
        var p = new double[n];
        // Householder: zero A[k+2.., k] with H = I − β v vᵀ acting on rows/cols k+1..n−1.
        for (int k = 0; k < n - 2; k++)
        {
            ct.ThrowIfCancellationRequested();
            int m = n - k - 1;
            double norm2 = 0;
            for (int i = 0; i < m; i++) { v[i] = A[(k + 1 + i) * n + k]; norm2 += v[i] * v[i]; }
            double norm = Math.Sqrt(norm2);
            if (norm == 0 || norm2 - v[0] * v[0] == 0) continue;
            double alpha = v[0] > 0 ? -norm : norm;
            v[0] -= alpha;
            double vtv = 0;
            for (int i = 0; i < m; i++) vtv += v[i] * v[i];
            double beta = 2 / vtv;
            // p = β·A_sub·v ; K = β/2·vᵀp ; q = p − K·v ; A_sub −= v qᵀ + q vᵀ
            for (int i = 0; i < m; i++)
            {
                double s = 0;
                int row = (k + 1 + i) * n + k + 1;
                for (int j = 0; j < m; j++) s += A[row + j] * v[j];
                p[i] = beta * s;
            }
            double K = 0;
            for (int i = 0; i < m; i++) K += v[i] * p[i];
            K *= beta / 2;
            for (int i = 0; i < m; i++) p[i] -= K * v[i];
            for (int i = 0; i < m; i++)
            {
                int row = (k + 1 + i) * n + k + 1;
                for (int j = 0; j < m; j++) A[row + j] -= v[i] * p[j] + p[i] * v[j];
            }
            A[(k + 1) * n + k] = alpha; A[k * n + k + 1] = alpha;
            for (int i = 1; i < m; i++) { A[(k + 1 + i) * n + k] = 0; A[k * n + k + 1 + i] = 0; }
            // Q ← Q·H
            for (int r = 0; r < n; r++)
            {
                int row = r * n + k + 1;
                double w = 0;
                for (int j = 0; j < m; j++) w += Q[row + j] * v[j];
                w *= beta;
                if (w != 0) for (int j = 0; j < m; j++) Q[row + j] -= w * v[j];
            }
        }
        for (int i = 0; i < n; i++) d[i] = A[i * n + i];
        for (int i = 0; i < n - 1; i++) e[i] = A[(i + 1) * n + i];
        // Z rows are the eigenvectors of the tridiagonal matrix (Z = Vᵀ, so rotations touch two rows).
        var Z = new double[n * n];
        for (int i = 0; i < n; i++) Z[i * n + i] = 1;
        TridiagonalQl(d, e, Z, n, ct);
        // Eigenvectors of A: columns of Q·Zᵀ, then sorted ascending.
        var QZ = new double[n * n];
        Gemm.Multiply(false, true, n, n, n, 1.0, Q, n, Z, n, 0.0, QZ, n);
        var order = Enumerable.Range(0, n).OrderBy(i => d[i]).ToArray();
        var values = new double[n];
        var vectors = new double[n * n];
        for (int j = 0; j < n; j++)
        {
            values[j] = d[order[j]];
            for (int r = 0; r < n; r++) vectors[r * n + j] = QZ[r * n + order[j]];
        }
        return (values, vectors);
    }

    /// <summary>
    /// Implicit QL on the tridiagonal (d, e) (e[i] couples i and i+1), accumulating rotations into the rows
    /// of <paramref name="z"/>. On return d holds the eigenvalues (unsorted) and row i of z the i-th eigenvector.
    /// </summary>
    public static void TridiagonalQl(double[] d, double[] e, double[] z, int n, CancellationToken ct = default)
    {
        if (n == 0) return;
        e[n - 1] = 0;
        double f = 0, tst1 = 0;
        const double eps = 2.220446049250313e-16;
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n - 1 && Math.Abs(e[m]) > eps * tst1) m++;
            if (m > l)
            {
                int iter = 0;
                do
                {
                    ct.ThrowIfCancellationRequested();
                    if (++iter > 60 * n + 100) throw new InvalidOperationException("Symmetric eigensolver did not converge (non-finite matrix?).");
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;
                    p = d[m];
                    double c = 1, c2 = 1, c3 = 1, el1 = e[l + 1], s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2; c2 = c; s2 = s;
                        g = c * e[i]; h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r; c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        int ri = i * n, ri1 = (i + 1) * n;
                        for (int k = 0; k < n; k++)
                        {
                            double zk1 = z[ri1 + k], zk = z[ri + k];
                            z[ri1 + k] = s * zk + c * zk1;
                            z[ri + k] = c * zk - s * zk1;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
    }

    private static double Hypot(double a, double b)
    {
        a = Math.Abs(a); b = Math.Abs(b);
        if (a < b) (a, b) = (b, a);
        if (a == 0) return 0;
        double r = b / a;
        return a * Math.Sqrt(1 + r * r);
    }
}
