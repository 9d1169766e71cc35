using NativeFree.Kernels;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Tests;

internal static class TestUtil
{
    public static Tensor<double> RandomInputs(int seed, params int[] shape)
    {
        var s = new SeededNormalSampler(seed);
        return s.Normal(1.0, shape);
    }

    /// <summary>
    /// Jacobian of <see cref="ILayer.Apply"/> with respect to every parameter (each distinct tensor once) by
    /// central differences: row input·outputs + o, column = the parameter's index in tensor order.
    /// </summary>
    public static double[,] FiniteDifferenceJacobian(ILayer net, Parameters p, Tensor<double> x)
    {
        var tensors = p.All().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor<double>>().ToList();
        int rows = net.Apply(p, x).Length, total = tensors.Sum(t => t.Length);
        var jac = new double[rows, total];
        int at = 0;
        const double h = 1e-6;
        foreach (var t in tensors)
        {
            var s = t.AsSpan();
            for (int e = 0; e < t.Length; e++, at++)
            {
                double keep = s[e];
                s[e] = keep + h; var up = net.Apply(p, x).ToArray();
                s[e] = keep - h; var dn = net.Apply(p, x).ToArray();
                s[e] = keep;
                for (int r = 0; r < rows; r++) jac[r, at] = (up[r] - dn[r]) / (2 * h);
            }
        }
        return jac;
    }

    /// <summary>Gauss–Jordan inverse with partial pivoting: the naive oracle for solves and posteriors.</summary>
    public static double[,] Inverse(double[,] a)
    {
        int n = a.GetLength(0);
        var m = new double[n, 2 * n];
        for (int i = 0; i < n; i++) { for (int j = 0; j < n; j++) m[i, j] = a[i, j]; m[i, n + i] = 1; }
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[p, c])) p = r;
            for (int j = 0; j < 2 * n; j++) (m[c, j], m[p, j]) = (m[p, j], m[c, j]);
            double d = m[c, c];
            for (int j = 0; j < 2 * n; j++) m[c, j] /= d;
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = m[r, c];
                for (int j = 0; j < 2 * n; j++) m[r, j] -= f * m[c, j];
            }
        }
        var inv = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) inv[i, j] = m[i, n + j];
        return inv;
    }

    /// <summary><see cref="Inverse(double[,])"/> of a square [n, n] tensor.</summary>
    public static double[,] Inverse(Tensor<double> a)
    {
        int n = a.Dim(0);
        var m = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i, j] = a[i, j];
        return Inverse(m);
    }

    public static double RelFrobenius(double[] a, double[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
        return Math.Sqrt(num / Math.Max(den, 1e-300));
    }

    /// <summary>Monte-Carlo NNGP of the finite network: mean over samples and output channels of f(x1)·f(x2).</summary>
    public static double[] MonteCarloNngp(ILayer net, Tensor<double> x1, Tensor<double> x2, int samples, int seed)
    {
        int n1 = x1.Dim(0), n2 = x2.Dim(0);
        var acc = new double[n1 * n2];
        var shape = FeatureShape.FromBatchShape(x1.Shape);
        for (int s = 0; s < samples; s++)
        {
            var sampler = new SeededNormalSampler(seed + 7919 * s);
            var p = net.Init(shape, sampler);
            // One forward pass over both sets.
            var both = Tensor.Zeros<double>([n1 + n2, .. x1.ShapeArray[1..]]);
            var bs = both.AsSpan();
            x1.ToArray().CopyTo(bs);
            x2.ToArray().CopyTo(bs.Slice(x1.Length));
            var y = net.Apply(p, both).ToArray();
            var y1 = y.AsSpan(0, y.Length * n1 / (n1 + n2)).ToArray();
            var y2 = y.AsSpan(y1.Length).ToArray();
            int c = y1.Length / n1;
            for (int i = 0; i < n1; i++)
                for (int j = 0; j < n2; j++)
                {
                    double d = 0;
                    for (int k = 0; k < c; k++) d += y1[i * c + k] * y2[j * c + k];
                    acc[i * n2 + j] += d / c / samples;
                }
        }
        return acc;
    }
}
