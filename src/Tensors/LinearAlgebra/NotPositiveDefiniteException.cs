namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// Cholesky met a pivot that is not positive: the matrix is not (numerically) positive definite.
/// Kernel and covariance matrices that are only semi-definite in exact arithmetic hit this through
/// rounding; adding a small multiple of the identity ("jitter") is the usual remedy.
/// </summary>
public sealed class NotPositiveDefiniteException : ArithmeticException
{
    /// <summary>Creates the exception for pivot <paramref name="pivotIndex"/> with value <paramref name="pivotValue"/> in an n×n matrix.</summary>
    public NotPositiveDefiniteException(int pivotIndex, double pivotValue, int n, double jitterUsed = 0)
        : base($"Matrix [{n}, {n}] is not positive definite: Cholesky pivot {pivotIndex} is {pivotValue:G6} " +
               $"(the diagonal minus the squares to its left must be > 0){(jitterUsed > 0 ? $", even with jitter {jitterUsed:G3} on the diagonal" : "")}. " +
               "If the matrix is positive semi-definite up to rounding (kernel or covariance matrices often are), add jitter: " +
               "Linalg.Cholesky(a, jitter: 1e-6 * mean(diag(a))) or Linalg.CholeskyWithJitter(a).")
    {
        PivotIndex = pivotIndex;
        PivotValue = pivotValue;
        JitterUsed = jitterUsed;
    }

    /// <summary>Row/column where the factorisation failed (0-based).</summary>
    public int PivotIndex { get; }

    /// <summary>The offending pivot value (≤ 0 or NaN) before the square root.</summary>
    public double PivotValue { get; }

    /// <summary>Jitter that was on the diagonal when it failed.</summary>
    public double JitterUsed { get; }
}
