namespace NativeFree.Kernels.Internal;

/// <summary>
/// Lower Cholesky factorisation and triangular solves on row-major float64 matrices. Internal stand-in
/// until the library's <c>Linalg.Cholesky</c> lands; a non-positive pivot is reported, never propagated as NaN.
/// </summary>
internal static class Cholesky
{
    /// <summary>L with A = L·Lᵀ (lower triangle of a new array). Throws when A is not positive definite.</summary>
    public static double[] Factor(ReadOnlySpan<double> a, int n, string what = "matrix", CancellationToken ct = default)
    {
        var L = a.ToArray();
        // A pivot at rounding level (n·ε·max diagonal) means numerically singular: duplicate inputs give an
        // exact zero that rounding may turn into ±1e-17, which would otherwise pass and blow up the solve.
        double maxDiag = 0;
        for (int i = 0; i < n; i++) maxDiag = Math.Max(maxDiag, Math.Abs(L[i * n + i]));
        double tol = n * 2.220446049250313e-16 * maxDiag;
        for (int j = 0; j < n; j++)
        {
            ct.ThrowIfCancellationRequested();
            int rj = j * n;
            double s = L[rj + j];
            for (int k = 0; k < j; k++) s -= L[rj + k] * L[rj + k];
            if (!(s > tol) || !double.IsFinite(s))
                throw new ArgumentException(
                    $"The {what} ({n}×{n}) is not positive definite (pivot {j} is {s:G4}). " +
                    "Add diagonal regularisation (diag_reg, e.g. 1e-6 relative to the mean diagonal) or remove duplicate inputs.");
            double ljj = Math.Sqrt(s);
            L[rj + j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                int ri = i * n;
                double t = L[ri + j];
                for (int k = 0; k < j; k++) t -= L[ri + k] * L[rj + k];
                L[ri + j] = t / ljj;
            }
        }
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) L[i * n + j] = 0;
        return L;
    }

    /// <summary>Solves L·X = B in place for B [n × m] (forward substitution).</summary>
    public static void SolveLower(double[] L, int n, Span<double> b, int m)
    {
        for (int i = 0; i < n; i++)
        {
            var bi = b.Slice(i * m, m);
            for (int k = 0; k < i; k++)
            {
                double l = L[i * n + k];
                if (l == 0) continue;
                var bk = b.Slice(k * m, m);
                for (int c = 0; c < m; c++) bi[c] -= l * bk[c];
            }
            double inv = 1 / L[i * n + i];
            for (int c = 0; c < m; c++) bi[c] *= inv;
        }
    }

    /// <summary>Solves Lᵀ·X = B in place for B [n × m] (back substitution).</summary>
    public static void SolveUpperTransposed(double[] L, int n, Span<double> b, int m)
    {
        for (int i = n - 1; i >= 0; i--)
        {
            var bi = b.Slice(i * m, m);
            double inv = 1 / L[i * n + i];
            for (int c = 0; c < m; c++) bi[c] *= inv;
            for (int k = 0; k < i; k++)
            {
                double l = L[i * n + k];
                if (l == 0) continue;
                var bk = b.Slice(k * m, m);
                for (int c = 0; c < m; c++) bk[c] -= l * bi[c];
            }
        }
    }

    /// <summary>Solves A·X = B with A = L·Lᵀ, B [n × m] overwritten.</summary>
    public static void Solve(double[] L, int n, Span<double> b, int m)
    {
        SolveLower(L, n, b, m);
        SolveUpperTransposed(L, n, b, m);
    }
}
