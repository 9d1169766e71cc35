namespace NativeFree.Kernels.Layers;

/// <summary>
/// The angular part Jₙ(θ) of Cho and Saul's arc-cosine kernel of order n (2009): for (u, v) centred Gaussian with
/// variances k11, k22 and angle θ = acos(k12/√(k11k22)), E[max(u,0)ⁿ·max(v,0)ⁿ] = (k11k22)^(n/2)/(2π)·Jₙ(θ).
/// </summary>
public static class ArcCosine
{
    /// <summary>Largest supported order: Jₙ(0) = (2n − 1)!!·π stays inside the double range up to n ≈ 150.</summary>
    public const int MaxDegree = 128;

    /// <summary>
    /// Jₙ(θ) for n in 0…<see cref="MaxDegree"/>, θ in [0, π]. J₀ = π − θ, J₁ = sin θ + (π − θ)cos θ and, for n ≥ 2,
    /// Jₙ = (2n − 1)·cos θ·Jₙ₋₁ + (n − 1)²·sin²θ·Jₙ₋₂ — the three-term form of Cho and Saul's
    /// Jₙ = (−1)ⁿ(sin θ)^(2n+1)·(1/sin θ·∂/∂θ)ⁿ((π − θ)/sin θ); it gives their J₂ = 3 sin θ cos θ + (π − θ)(1 + 2cos²θ).
    /// </summary>
    public static double J(int n, double theta)
    {
        if ((uint)n > MaxDegree) throw new ArgumentException($"Arc-cosine order must be in 0..{MaxDegree}, got {n}.", nameof(n));
        double s = Math.Sin(theta), c = Math.Cos(theta);
        double j0 = Math.PI - theta;
        if (n == 0) return j0;
        double j1 = s + j0 * c;
        double s2 = s * s;
        for (int k = 2; k <= n; k++)
        {
            double jk = (2 * k - 1) * c * j1 + (double)(k - 1) * (k - 1) * s2 * j0;
            j0 = j1; j1 = jk;
        }
        return j1;
    }
}
