using NativeFree.Tensors.Randomness;

namespace NativeFree.Tensors.Tests.LinearAlgebra;

/// <summary>Naive reference algebra on double[,] used as the independent oracle.</summary>
internal static class Dense
{
    public static double[,] Of(Tensor<double> t)
    {
        int r = t.Shape[0], c = t.Rank == 1 ? 1 : t.Shape[1];
        var m = new double[r, c];
        var s = t.ToArray();
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) m[i, j] = s[i * c + j];
        return m;
    }

    public static double[,] Mul(double[,] a, double[,] b, bool transB = false)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = transB ? b.GetLength(0) : b.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i, p] * (transB ? b[j, p] : b[p, j]);
                c[i, j] = s;
            }
        return c;
    }

    public static double[,] T(double[,] a)
    {
        var t = new double[a.GetLength(1), a.GetLength(0)];
        for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) t[j, i] = a[i, j];
        return t;
    }

    public static double MaxAbsDiff(double[,] a, double[,] b)
    {
        double m = 0;
        for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) m = Math.Max(m, Math.Abs(a[i, j] - b[i, j]));
        return m;
    }

    public static double Frobenius(double[,] a)
    {
        double s = 0;
        foreach (double v in a) s += v * v;
        return Math.Sqrt(s);
    }

    /// <summary>A random SPD matrix B·Bᵀ/n + I (well conditioned).</summary>
    public static Tensor<double> RandomSpd(int n, ulong seed)
    {
        var b = new Rng(seed).StandardNormal<double>(n, n);
        var a = Tensor.MatMul(b, b.Mt);
        var s = a.AsSpan();
        for (int i = 0; i < n * n; i++) s[i] /= n;
        for (int i = 0; i < n; i++) s[i * n + i] += 1;
        return a;
    }

    public static Tensor<double> RandomSymmetric(int n, ulong seed)
    {
        var b = new Rng(seed).StandardNormal<double>(n, n);
        return Tensor.FromArray(Enumerable.Range(0, n * n).Select(k => b[k / n, k % n] + b[k % n, k / n]).ToArray(), n, n);
    }

    /// <summary>A random orthogonal matrix by Gram–Schmidt (twice) on Gaussian columns.</summary>
    public static double[,] RandomOrthogonal(int n, ulong seed)
    {
        var g = Of(new Rng(seed).StandardNormal<double>(n, n));
        for (int j = 0; j < n; j++)
            for (int pass = 0; pass < 2; pass++)
            {
                for (int p = 0; p < j; p++)
                {
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += g[i, p] * g[i, j];
                    for (int i = 0; i < n; i++) g[i, j] -= dot * g[i, p];
                }
                double norm = 0;
                for (int i = 0; i < n; i++) norm += g[i, j] * g[i, j];
                norm = Math.Sqrt(norm);
                for (int i = 0; i < n; i++) g[i, j] /= norm;
            }
        return g;
    }

    public static Tensor<double> ToTensor(double[,] a) => Tensor.FromArray(a);
}
