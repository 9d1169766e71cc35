using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix: A = V·diag(λ)·Vᵀ.</summary>
/// <param name="Eigenvalues">λ, shape [n], ascending.</param>
/// <param name="Eigenvectors">V, shape [n, n]; column j is the unit eigenvector of λⱼ.</param>
public readonly record struct EighResult<T>(Tensor<T> Eigenvalues, Tensor<T> Eigenvectors) where T : unmanaged, IFloatingPointIeee754<T>;

public static partial class Linalg
{
    /// <summary>
    /// Symmetric eigendecomposition A = V·diag(λ)·Vᵀ with λ ascending and orthonormal eigenvector
    /// columns. Householder reduction to tridiagonal form, then the implicit QL algorithm with
    /// Wilkinson shifts, whose rotations are applied directly to the Householder basis. Computed in
    /// double for either element type. <paramref name="a"/> must be square and symmetric to within
    /// <paramref name="symmetryTolerance"/> × max|aᵢⱼ| (default 1e-10 for double, 1e-5 for float);
    /// it is symmetrised as (A+Aᵀ)/2 before use.
    /// </summary>
    public static EighResult<T> Eigh<T>(Tensor<T> a, double? symmetryTolerance = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = CheckSquare(a, nameof(a), "Eigh");
        double tol = symmetryTolerance ?? (typeof(T) == typeof(float) ? 1e-5 : 1e-10);
        if (n == 0) return new(Tensor.Zeros<T>(0), Tensor.Zeros<T>(0, 0));
        var w = new double[n * n];
        var src = a.Contiguous().AsSpan();
        double maxAbs = 0;
        for (int i = 0; i < n * n; i++)
        {
            double v = double.CreateChecked(src[i]);
            if (!double.IsFinite(v)) throw new ArgumentException($"Eigh: matrix of shape {ShapeUtil.Format(a.Shape)} has a non-finite element {v} at ({i / n}, {i % n}).", nameof(a));
            w[i] = v;
            maxAbs = Math.Max(maxAbs, Math.Abs(v));
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double x = w[i * n + j], y = w[j * n + i];
                if (Math.Abs(x - y) > tol * maxAbs)
                    throw new ArgumentException($"Eigh needs a symmetric matrix; shape {ShapeUtil.Format(a.Shape)} has a[{i},{j}] = {x:G6} but a[{j},{i}] = {y:G6}.", nameof(a));
                w[i * n + j] = w[j * n + i] = 0.5 * (x + y);
            }

        var d = new double[n];
        var e = new double[n];
        var basis = new double[n * n]; // rows are the columns of the orthogonal factor
        if (n > 0)
        {
            // Work on A / max|a| so norms in the Householder step cannot overflow or underflow.
            double scale = maxAbs > 0 ? maxAbs : 1;
            TP.Divide(w, scale, w);
            Tridiagonalize(w, n, d, e, basis);
            TridiagonalQL(d, e, basis, n);
            TP.Multiply(d, scale, d);
        }

        // Sort ascending and lay the eigenvectors out as columns.
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(d.ToArray(), order);
        var values = new T[n];
        var vectors = new T[n * n];
        for (int j = 0; j < n; j++)
        {
            values[j] = T.CreateChecked(d[order[j]]);
            var row = basis.AsSpan(order[j] * n, n);
            for (int r = 0; r < n; r++) vectors[r * n + j] = T.CreateChecked(row[r]);
        }
        return new(Tensor.FromArray(values, n), Tensor.FromArray(vectors, n, n));
    }

    /// <summary>
    /// Householder tridiagonalisation of the full symmetric row-major matrix <paramref name="a"/> (destroyed):
    /// Qᵀ·A·Q = tridiag(d, e). On exit <paramref name="qt"/> holds Qᵀ (its rows are Q's columns),
    /// d the diagonal and e[i] the (i, i+1) off-diagonal, e[n-1] = 0.
    /// </summary>
    private static void Tridiagonalize(double[] a, int n, double[] d, double[] e, double[] qt)
    {
        // The Householder vector of step k overwrites row k right of the diagonal (x becomes v), which
        // no later step reads: as in LAPACK, no separate storage for the reflectors.
        var taus = new double[n];
        var p = new double[n];
        var pNext = new double[n];
        bool ready = false; // step k's reflector and p = τ·S·v were already made while updating in step k-1
        for (int k = 0; k < n - 2; k++)
        {
            int m = n - k - 1;
            d[k] = a[k * n + k];
            if (!ready && MakeReflector(a, n, k, taus, e))
            {
                var v0 = a.AsSpan(k * n + k + 1, m);
                for (int i = 0; i < m; i++) p[i] = taus[k] * TP.Dot<double>(a.AsSpan((k + 1 + i) * n + k + 1, m), v0);
            }
            ready = false;
            double tau = taus[k];
            if (tau == 0) continue; // column already reduced: no reflection

            // H·S·H with H = I - τvvᵀ on the trailing block S: w = p - (τ/2)(pᵀv)v, S -= vwᵀ + wvᵀ.
            var v = a.AsSpan(k * n + k + 1, m);
            var w = p.AsSpan(0, m);
            double kk = 0.5 * tau * TP.Dot<double>(w, v);
            TP.MultiplyAdd<double>(v, -kk, w, w);
            var row0 = a.AsSpan((k + 1) * n + k + 1, m);
            TP.MultiplyAdd<double>(w, -v[0], row0, row0);
            TP.MultiplyAdd<double>(v, -w[0], row0, row0);

            // The next step's reflector comes from the row just updated; its p = τ'·S'·v' is then
            // accumulated while each remaining row is still in cache from its update (one pass, not two).
            bool fuse = k + 1 < n - 2 && MakeReflector(a, n, k + 1, taus, e);
            ready = k + 1 < n - 2;
            double tauNext = taus[k + 1];
            var vNext = fuse ? a.AsSpan((k + 1) * n + k + 2, m - 1) : default;
            for (int i = 1; i < m; i++)
            {
                var row = a.AsSpan((k + 1 + i) * n + k + 1, m);
                TP.MultiplyAdd<double>(w, -v[i], row, row);
                TP.MultiplyAdd<double>(v, -w[i], row, row);
                if (fuse) pNext[i - 1] = tauNext * TP.Dot<double>(row[1..], vNext);
            }
            if (fuse) (p, pNext) = (pNext, p);
        }
        if (n >= 2)
        {
            d[n - 2] = a[(n - 2) * n + n - 2];
            e[n - 2] = a[(n - 2) * n + n - 1];
        }
        d[n - 1] = a[(n - 1) * n + n - 1];
        e[n - 1] = 0;

        FormQ(a, n, taus, qt);
        for (int i = 0; i < n; i++) // transpose in place: rows of qt are the columns of Q
            for (int j = 0; j < i; j++) (qt[i * n + j], qt[j * n + i]) = (qt[j * n + i], qt[i * n + j]);
    }

    /// <summary>
    /// Q = H₀H₁⋯H_{n-3} into <paramref name="q"/> (row-major), from the reflectors stored in the rows of
    /// <paramref name="a"/>. Blocks of reflectors are applied backwards in compact WY form,
    /// H_k⋯H_{k+b-1} = I − Y·T·Yᵀ (LAPACK's dlarft/dlarfb), so the work is three GEMMs per block:
    /// W = Yᵀ·Q, W ← T·W, Q −= Y·W.
    /// </summary>
    private static void FormQ(double[] a, int n, double[] taus, double[] q)
    {
        Array.Clear(q);
        for (int i = 0; i < n; i++) q[i * n + i] = 1;
        int reflectors = n - 2;
        if (reflectors <= 0) return;
        const int nb = 32;
        var y = new double[(n - 1) * nb];
        var t = new double[nb * nb];
        var w = new double[nb * (n - 1)];
        var w2 = new double[nb * (n - 1)];
        var z = new double[nb];
        for (int k0 = (reflectors - 1) / nb * nb; k0 >= 0; k0 -= nb)
        {
            int b = Math.Min(nb, reflectors - k0);
            int m = n - k0 - 1; // the block acts on rows and columns k0+1 … n-1
            // Y (m×b): column j is v of reflector k0+j, which starts j rows down.
            Array.Clear(y, 0, m * b);
            for (int j = 0; j < b; j++)
            {
                var v = a.AsSpan((k0 + j) * n + k0 + j + 1, m - j);
                for (int r = 0; r < v.Length; r++) y[(r + j) * b + j] = v[r];
            }
            // T (b×b, upper): T[j,j] = τⱼ, T[0:j, j] = −τⱼ·T[0:j, 0:j]·(Y[:, 0:j]ᵀ·yⱼ).
            Array.Clear(t, 0, b * b);
            for (int j = 0; j < b; j++)
            {
                double tau = taus[k0 + j];
                t[j * b + j] = tau;
                if (tau == 0 || j == 0) continue;
                for (int p = 0; p < j; p++)
                {
                    double sum = 0;
                    for (int r = j; r < m; r++) sum += y[r * b + p] * y[r * b + j];
                    z[p] = sum;
                }
                for (int p = 0; p < j; p++)
                {
                    double sum = 0;
                    for (int c = p; c < j; c++) sum += t[p * b + c] * z[c];
                    t[p * b + j] = -tau * sum;
                }
            }
            var qBlock = q.AsSpan((k0 + 1) * n + k0 + 1);
            Gemm.Multiply(b, m, m, 1.0, y, 1, b, qBlock, n, 1, 0.0, w, m, 1);      // W = Yᵀ·Q
            Gemm.Multiply(b, m, b, 1.0, t, b, 1, w, m, 1, 0.0, w2, m, 1);         // W ← T·W
            Gemm.Multiply(m, m, b, -1.0, y, b, 1, w2, m, 1, 1.0, qBlock, n, 1);   // Q −= Y·W
        }
    }

    /// <summary>
    /// The Householder reflector of step k from row k right of the diagonal (x = A[k, k+1:]):
    /// v = x − αe₁ with α = −sign(x₀)‖x‖, τ = 2/vᵀv, so (I − τvvᵀ)x = αe₁. Overwrites x with v, stores τ and e[k] = α;
    /// returns false (τ = 0, e[k] = x₀) when x is already a multiple of e₁.
    /// </summary>
    private static bool MakeReflector(double[] a, int n, int k, double[] taus, double[] e)
    {
        int m = n - k - 1;
        var x = a.AsSpan(k * n + k + 1, m);
        taus[k] = 0;
        if (m < 2 || TP.Norm(x[1..]) == 0)
        {
            e[k] = x[0];
            return false;
        }
        double alpha = TP.Norm(x);
        if (x[0] > 0) alpha = -alpha; // the sign that avoids cancellation in v₀
        x[0] -= alpha; // x becomes v, in place
        taus[k] = 2 / TP.Dot<double>(x, x);
        e[k] = alpha;
        return true;
    }

    /// <summary>
    /// Implicit QL with Wilkinson shifts on the symmetric tridiagonal (d, e), e[i] coupling i and i+1.
    /// Each sweep chases the bulge with Givens rotations from the bottom of the unreduced block up; the
    /// rotations are applied to the rows of <paramref name="z"/> (so its rows become eigenvectors).
    /// Eigenvalues are left in d, unsorted.
    /// </summary>
    private static void TridiagonalQL(double[] d, double[] e, double[] z, int n)
    {
        const int maxSweepsPerEigenvalue = 60;
        var cs = new double[n];
        var sn = new double[n];
        for (int l = 0; l < n; l++)
        {
            int sweeps = 0;
            while (true)
            {
                // Find the first negligible off-diagonal at or below l: the block l..m is unreduced.
                int m = l;
                for (; m < n - 1; m++)
                {
                    double dd = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (Math.Abs(e[m]) <= double.Epsilon || Math.Abs(e[m]) <= 1.1102230246251565e-16 * dd) break;
                }
                if (m == l) break;
                if (++sweeps > maxSweepsPerEigenvalue)
                    throw new ArithmeticException($"Eigh: the QL iteration did not converge for eigenvalue {l} of {n} after {maxSweepsPerEigenvalue} sweeps.");

                // Wilkinson shift: the eigenvalue of the leading 2×2 block nearer to d[l], folded into g.
                double g = (d[l + 1] - d[l]) / (2 * e[l]);
                double rr = Hypot(g, 1);
                g = d[m] - d[l] + e[l] / (g + (g >= 0 ? rr : -rr));
                double s = 1, c = 1, pp = 0;
                bool deflated = false;
                int i = m - 1;
                for (; i >= l; i--)
                {
                    double f = s * e[i], b = c * e[i];
                    rr = Hypot(f, g);
                    e[i + 1] = rr;
                    if (rr == 0)
                    {
                        // Underflow split the block: recover and restart on the smaller problem.
                        d[i + 1] -= pp;
                        e[m] = 0;
                        deflated = true;
                        break;
                    }
                    s = f / rr;
                    c = g / rr;
                    g = d[i + 1] - pp;
                    rr = (d[i] - g) * s + 2 * c * b;
                    pp = s * rr;
                    d[i + 1] = g + pp;
                    g = c * rr - b;
                    cs[i] = c;
                    sn[i] = s;
                }
                ApplySweep(z, n, i + 1, m, cs, sn);
                if (deflated) continue;
                d[l] -= pp;
                e[l] = g;
                e[m] = 0;
            }
        }
    }

    /// <summary>
    /// Applies the rotations of one QL sweep, i = hi-1 down to lo, each to the row pair (i, i+1) of z:
    /// (xᵢ, xᵢ₊₁) ← (c·xᵢ − s·xᵢ₊₁, s·xᵢ + c·xᵢ₊₁). Whole contiguous rows per rotation measured about
    /// twice as fast here as LAPACK dlasr-style column chunks carried down the sweep (strided rows).
    /// </summary>
    private static void ApplySweep(double[] z, int n, int lo, int hi, double[] c, double[] s)
    {
        for (int i = hi - 1; i >= lo; i--) RotatePair(ref z[i * n], ref z[(i + 1) * n], n, c[i], s[i]);
    }

    /// <summary>(x, y) ← (c·x − s·y, s·x + c·y) over n elements.</summary>
    private static void RotatePair(ref double x, ref double y, int n, double c, double s)
    {
        nuint i = 0, len = (nuint)n;
        if (Vector512.IsHardwareAccelerated && len >= 8)
        {
            var vc = Vector512.Create(c); var vs = Vector512.Create(s);
            for (; i + 8 <= len; i += 8)
            {
                var xv = Vector512.LoadUnsafe(ref x, i); var yv = Vector512.LoadUnsafe(ref y, i);
                (vc * xv - vs * yv).StoreUnsafe(ref x, i);
                (vs * xv + vc * yv).StoreUnsafe(ref y, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && len >= 4)
        {
            var vc = Vector256.Create(c); var vs = Vector256.Create(s);
            for (; i + 4 <= len; i += 4)
            {
                var xv = Vector256.LoadUnsafe(ref x, i); var yv = Vector256.LoadUnsafe(ref y, i);
                (vc * xv - vs * yv).StoreUnsafe(ref x, i);
                (vs * xv + vc * yv).StoreUnsafe(ref y, i);
            }
        }
        else if (Vector128.IsHardwareAccelerated && len >= 2)
        {
            var vc = Vector128.Create(c); var vs = Vector128.Create(s);
            for (; i + 2 <= len; i += 2)
            {
                var xv = Vector128.LoadUnsafe(ref x, i); var yv = Vector128.LoadUnsafe(ref y, i);
                (vc * xv - vs * yv).StoreUnsafe(ref x, i);
                (vs * xv + vc * yv).StoreUnsafe(ref y, i);
            }
        }
        for (; i < len; i++)
        {
            ref double xi = ref Unsafe.Add(ref x, i);
            ref double yi = ref Unsafe.Add(ref y, i);
            double a = xi, b = yi;
            xi = c * a - s * b;
            yi = s * a + c * b;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Hypot(double a, double b)
    {
        a = Math.Abs(a); b = Math.Abs(b);
        if (a < b) (a, b) = (b, a);
        if (a == 0) return 0;
        double t = b / a;
        return a * Math.Sqrt(1 + t * t);
    }
}
