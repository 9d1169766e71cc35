using System.Buffers;
using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>A Cholesky factor together with the jitter that was needed to obtain it.</summary>
/// <param name="Factor">Lower-triangular L with L·Lᵀ = A + Jitter·I.</param>
/// <param name="Jitter">What was added to the diagonal (0 when A factorised as given).</param>
public readonly record struct CholeskyResult<T>(Tensor<T> Factor, double Jitter) where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Dense linear algebra on square matrices: Cholesky, triangular solves, positive-definite solves,
/// inverses and log-determinants from the factor, and the symmetric eigendecomposition.
/// The cubic parts are blocked so that most flops go through <see cref="Gemm"/>.
/// </summary>
public static partial class Linalg
{
    /// <summary>Block size of the blocked algorithms: large enough that GEMM dominates, small enough that panels stay in L2.</summary>
    internal const int DefaultBlockSize = 64;

    /// <summary>
    /// The lower-triangular Cholesky factor L of a symmetric positive-definite matrix, A + jitter·I = L·Lᵀ.
    /// Only the lower triangle of <paramref name="a"/> is read. Blocked right-looking algorithm:
    /// factor a diagonal block, solve the panel below it (TRSM), update the trailing lower triangle
    /// with GEMM (the SYRK step). Throws <see cref="NotPositiveDefiniteException"/> naming the failing pivot.
    /// </summary>
    public static Tensor<T> Cholesky<T>(Tensor<T> a, double jitter = 0) where T : unmanaged, IFloatingPointIeee754<T>
        => Cholesky(a, jitter, DefaultBlockSize);

    internal static Tensor<T> Cholesky<T>(Tensor<T> a, double jitter, int blockSize) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckSquare(a, nameof(a), "Cholesky");
        if (!double.IsFinite(jitter) || jitter < 0) throw new ArgumentOutOfRangeException(nameof(jitter), jitter, "Jitter must be finite and non-negative.");
        var l = a.Clone();
        if (n == 0) return l; // (an empty view cannot be spanned)
        var s = l.AsSpan();
        if (jitter != 0)
            for (int i = 0; i < n; i++) s[i * n + i] += T.CreateChecked(jitter);
        FactorLower(s, n, n, blockSize, jitter);
        for (int i = 0; i < n; i++) s.Slice(i * n + i + 1, n - i - 1).Clear(); // the upper triangle is not part of L
        return l;
    }

    /// <summary>
    /// Cholesky with automatic jitter: tries A as given, then A + j·I with j = 1e-6·mean(diag A)
    /// growing tenfold per try (the GPy "jitchol" schedule), for up to <paramref name="maxTries"/> jittered attempts.
    /// Returns the factor and the jitter used; rethrows the last failure if none succeeds.
    /// </summary>
    public static CholeskyResult<T> CholeskyWithJitter<T>(Tensor<T> a, int maxTries = 6, double? initialJitter = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckSquare(a, nameof(a), "CholeskyWithJitter");
        if (maxTries < 0) throw new ArgumentOutOfRangeException(nameof(maxTries), maxTries, "maxTries must be non-negative.");
        try { return new(Cholesky(a), 0); }
        catch (NotPositiveDefiniteException) when (maxTries > 0) { }
        double meanDiag = 0;
        for (int i = 0; i < n; i++) meanDiag += Math.Abs(double.CreateChecked(a[i, i]));
        meanDiag = n == 0 ? 1 : meanDiag / n;
        double j = initialJitter ?? 1e-6 * (meanDiag > 0 && double.IsFinite(meanDiag) ? meanDiag : 1);
        for (int t = 1; ; t++, j *= 10)
        {
            try { return new(Cholesky(a, j), j); }
            catch (NotPositiveDefiniteException) when (t < maxTries) { }
        }
    }

    // Right-looking blocked Cholesky on the lower triangle of a row-major n×n matrix (row stride lda).
    private static void FactorLower<T>(Span<T> a, int n, int lda, int nb, double jitter) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[]? panel = null;
        try
        {
            for (int k = 0; k < n; k += nb)
            {
                int kb = Math.Min(nb, n - k);
                FactorDiagonalBlock(a, n, lda, k, kb, jitter);
                int rest = n - k - kb;
                if (rest == 0) break;
                // Panel: L21 = A21 · L11⁻ᵀ.
                SolvePanel(a, lda, k, k + kb, rest, 0, kb);
                // Trailing update A22 -= L21·L21ᵀ on the lower triangle only, one block row at a time, via GEMM.
                // The panel is copied out so GEMM reads a dense rest×kb matrix that does not alias its output.
                int need = rest * kb;
                if (panel is null || panel.Length < need)
                {
                    if (panel != null) ArrayPool<T>.Shared.Return(panel);
                    panel = ArrayPool<T>.Shared.Rent(need);
                }
                for (int i = 0; i < rest; i++) a.Slice((k + kb + i) * lda + k, kb).CopyTo(panel.AsSpan(i * kb, kb));
                for (int ib = 0; ib < rest; ib += nb)
                {
                    int mb = Math.Min(nb, rest - ib);
                    int cols = ib + mb; // columns 0 … ib+mb-1 of A22 reach the diagonal of this block row
                    Gemm.Multiply(mb, cols, kb, -T.One,
                        panel.AsSpan(ib * kb, mb * kb), kb, 1,
                        panel.AsSpan(0, cols * kb), 1, kb,
                        T.One, a.Slice((k + kb + ib) * lda + k + kb), lda, 1);
                }
            }
        }
        finally
        {
            if (panel != null) ArrayPool<T>.Shared.Return(panel);
        }
    }

    /// <summary>
    /// Solves X·L11ᵀ = A21 in place for panel columns [c0, c1) (relative to the diagonal block at
    /// (k, k), rows [r0, r0+rows) below it), assuming columns before c0 are already solved and
    /// subtracted. Recursive: solve the left half, remove its contribution from the right half with
    /// one GEMM, solve the right half; substitution only on narrow leaves. Same arithmetic as
    /// substitution (no inverse of L11), but most of it runs in GEMM.
    /// </summary>
    private static void SolvePanel<T>(Span<T> a, int lda, int k, int r0, int rows, int c0, int c1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int leaf = 16;
        if (c1 - c0 <= leaf)
        {
            for (int i = r0; i < r0 + rows; i++)
            {
                var row = a.Slice(i * lda + k, c1);
                for (int j = c0; j < c1; j++)
                {
                    var lj = a.Slice((k + j) * lda + k + c0, j - c0);
                    row[j] = (row[j] - TP.Dot<T>(row[c0..j], lj)) / a[(k + j) * lda + k + j];
                }
            }
            return;
        }
        int mid = c0 + (c1 - c0) / 2;
        SolvePanel(a, lda, k, r0, rows, c0, mid);
        // A21[:, mid:c1] -= X[:, c0:mid] · L11[mid:c1, c0:mid]ᵀ
        Gemm.Multiply(rows, c1 - mid, mid - c0, -T.One,
            a[(r0 * lda + k + c0)..], lda, 1,
            a[((k + mid) * lda + k + c0)..], 1, lda,
            T.One, a[(r0 * lda + k + mid)..], lda, 1);
        SolvePanel(a, lda, k, r0, rows, mid, c1);
    }

    // Unblocked Cholesky–Crout on the kb×kb diagonal block at (k, k), whose trailing updates are already applied.
    private static void FactorDiagonalBlock<T>(Span<T> a, int n, int lda, int k, int kb, double jitter) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < kb; j++)
        {
            var rowJ = a.Slice((k + j) * lda + k, j);
            T d = a[(k + j) * lda + k + j] - TP.Dot<T>(rowJ, rowJ);
            if (!(d > T.Zero) || !T.IsFinite(d)) throw new NotPositiveDefiniteException(k + j, double.CreateChecked(d), n, jitter);
            T ljj = T.Sqrt(d);
            a[(k + j) * lda + k + j] = ljj;
            for (int i = j + 1; i < kb; i++)
            {
                ref T aij = ref a[(k + i) * lda + k + j];
                aij = (aij - TP.Dot<T>(a.Slice((k + i) * lda + k, j), rowJ)) / ljj;
            }
        }
    }

    /// <summary>Solves A·X = B for symmetric positive-definite A (via Cholesky); B is a vector or a matrix of right-hand sides.</summary>
    public static Tensor<T> SolvePositiveDefinite<T>(Tensor<T> a, Tensor<T> b, double jitter = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckSquare(a, nameof(a), "SolvePositiveDefinite");
        CheckRhs(n, a, b, "SolvePositiveDefinite");
        return CholeskySolve(Cholesky(a, jitter), b);
    }

    /// <summary>Solves (L·Lᵀ)·X = B given the Cholesky factor L.</summary>
    public static Tensor<T> CholeskySolve<T>(Tensor<T> l, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = SolveTriangular(l, b, lower: true, transpose: false);
        return SolveTriangular(l, y, lower: true, transpose: true);
    }

    /// <summary>A⁻¹ from the Cholesky factor L of A (exactly symmetric).</summary>
    public static Tensor<T> CholeskyInverse<T>(Tensor<T> l) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckSquare(l, nameof(l), "CholeskyInverse");
        var inv = CholeskySolve(l, Tensor.Eye<T>(n));
        var s = inv.AsSpan();
        T half = T.CreateChecked(0.5);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                T v = (s[i * n + j] + s[j * n + i]) * half;
                s[i * n + j] = v; s[j * n + i] = v;
            }
        return inv;
    }

    /// <summary>log det A = 2·Σ log Lᵢᵢ from the Cholesky factor L of A (in double, whatever T is).</summary>
    public static double LogDeterminantFromCholesky<T>(Tensor<T> l) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckSquare(l, nameof(l), "LogDeterminantFromCholesky");
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.Log(double.CreateChecked(l[i, i]));
        return 2 * sum;
    }

    /// <summary>log det A of a symmetric positive-definite matrix (via Cholesky; throws if A is not PD).</summary>
    public static double LogDeterminantPositiveDefinite<T>(Tensor<T> a, double jitter = 0) where T : unmanaged, IFloatingPointIeee754<T>
        => LogDeterminantFromCholesky(Cholesky(a, jitter));

    // ----------------------------------------------------------------- argument checks

    internal static int CheckSquare<T>(Tensor<T> a, string name, string op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a, name);
        if (a.Rank != 2 || a.Shape[0] != a.Shape[1])
            throw new ArgumentException($"{op} needs a square matrix; {name} has shape {ShapeUtil.Format(a.Shape)}.", name);
        return a.Shape[0];
    }

    private static void CheckRhs<T>(int n, Tensor<T> a, Tensor<T> b, string op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Rank is < 1 or > 2 || b.Shape[0] != n)
            throw new ArgumentException($"{op}: right-hand side of shape {ShapeUtil.Format(b.Shape)} does not match matrix of shape {ShapeUtil.Format(a.Shape)} (expected [{n}] or [{n}, k]).", nameof(b));
    }
}
