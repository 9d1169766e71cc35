using System.Numerics;

namespace NativeFree.Tensors.Sparse;

public sealed partial class CsrMatrix<T>
{
    /// <summary>
    /// <c>f</c> applied to every stored value, same structure. Unstored zeros stay zero, so this is the
    /// elementwise map only when <c>f(0) = 0</c> (scaling, abs, relu, square…).
    /// </summary>
    public CsrMatrix<T> Map(Func<T, T> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var v = new T[Nnz];
        for (int p = 0; p < v.Length; p++) v[p] = f(Vals[p]);
        return new CsrMatrix<T>(Rows, Columns, RowPtr, ColIdx, v, HasSortedIndices);
    }

    /// <summary><c>alpha · A</c> (same structure, the row and column arrays are shared).</summary>
    public CsrMatrix<T> Scale(T alpha)
    {
        var v = new T[Nnz];
        System.Numerics.Tensors.TensorPrimitives.Multiply<T>(Vals, alpha, v);
        return new CsrMatrix<T>(Rows, Columns, RowPtr, ColIdx, v, HasSortedIndices);
    }

    /// <summary>The same matrix with <typeparamref name="TTo"/> values (float ↔ double).</summary>
    public CsrMatrix<TTo> Cast<TTo>() where TTo : unmanaged, IFloatingPointIeee754<TTo>
    {
        var v = new TTo[Nnz];
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<T, TTo>(Vals, v);
        return new CsrMatrix<TTo>(Rows, Columns, RowPtr, ColIdx, v, HasSortedIndices);
    }

    /// <summary>
    /// <c>alpha·A + beta·B</c> for matrices of the same shape. The union of the two structures is
    /// stored (entries that cancel to zero stay as explicit zeros). Rows are sorted when both inputs are.
    /// </summary>
    public static CsrMatrix<T> Add(CsrMatrix<T> a, CsrMatrix<T> b, T alpha, T beta)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rows != b.Rows || a.Columns != b.Columns)
            throw new ArgumentException($"Sparse add needs equal shapes; got {a.ShapeText} and {b.ShapeText}.");
        int m = a.Rows, n = a.Columns;
        // Pass 1: exact row sizes with a marker array (stamp = row index), then exact allocation.
        var mark = new int[n];
        Array.Fill(mark, -1);
        var rp = new int[m + 1];
        long total = 0;
        for (int i = 0; i < m; i++)
        {
            int cnt = a.RowPtr[i + 1] - a.RowPtr[i];
            for (int p = a.RowPtr[i]; p < a.RowPtr[i + 1]; p++) mark[a.ColIdx[p]] = i;
            for (int p = b.RowPtr[i]; p < b.RowPtr[i + 1]; p++) if (mark[b.ColIdx[p]] != i) cnt++;
            total += cnt;
            if (total > MaxNnz) throw new ArgumentException($"Sum of {a.ShapeText} matrices would have more than {MaxNnz} entries.");
            rp[i + 1] = (int)total;
        }
        var ci = new int[total];
        var v = new T[total];
        var pos = mark;
        Array.Fill(pos, -1);
        for (int i = 0; i < m; i++)
        {
            int start = rp[i], next = start;
            for (int p = a.RowPtr[i]; p < a.RowPtr[i + 1]; p++)
            {
                int j = a.ColIdx[p];
                pos[j] = next; ci[next] = j; v[next] = alpha * a.Vals[p]; next++;
            }
            for (int p = b.RowPtr[i]; p < b.RowPtr[i + 1]; p++)
            {
                int j = b.ColIdx[p], q = pos[j];
                if (q >= start && q < next) v[q] += beta * b.Vals[p];
                else { pos[j] = next; ci[next] = j; v[next] = beta * b.Vals[p]; next++; }
            }
        }
        bool sorted = a.HasSortedIndices && b.HasSortedIndices;
        if (sorted)
            for (int i = 0; i < m; i++)
                SparseSort.SortRow(ci.AsSpan(rp[i], rp[i + 1] - rp[i]), v.AsSpan(rp[i], rp[i + 1] - rp[i]));
        return new CsrMatrix<T>(m, n, rp, ci, v, sorted);
    }

    /// <summary><c>A + B</c>; see <see cref="Add(CsrMatrix{T}, CsrMatrix{T}, T, T)"/>.</summary>
    public static CsrMatrix<T> operator +(CsrMatrix<T> a, CsrMatrix<T> b) => Add(a, b, T.One, T.One);

    /// <summary><c>A − B</c>.</summary>
    public static CsrMatrix<T> operator -(CsrMatrix<T> a, CsrMatrix<T> b) => Add(a, b, T.One, -T.One);

    /// <summary><c>s · A</c>.</summary>
    public static CsrMatrix<T> operator *(T s, CsrMatrix<T> a) => a.Scale(s);

    /// <summary>The main diagonal <c>A[i, i]</c>, length min(Rows, Columns), as a 1-D tensor.</summary>
    public Tensor<T> Diagonal()
    {
        int k = Math.Min(Rows, Columns);
        var d = new T[k];
        for (int i = 0; i < k; i++)
            for (int p = RowPtr[i]; p < RowPtr[i + 1]; p++)
                if (ColIdx[p] == i) { d[i] = Vals[p]; break; }
        return Tensor.FromArray(d, k);
    }

    /// <summary>Σ_j A[i, j] for every row, as a 1-D tensor of length <see cref="Rows"/>.</summary>
    public Tensor<T> RowSums()
    {
        var s = new T[Rows];
        for (int i = 0; i < Rows; i++)
            s[i] = System.Numerics.Tensors.TensorPrimitives.Sum<T>(Vals.AsSpan(RowPtr[i], RowPtr[i + 1] - RowPtr[i]));
        return Tensor.FromArray(s, Rows);
    }

    /// <summary>Σ_i A[i, j] for every column, as a 1-D tensor of length <see cref="Columns"/>.</summary>
    public Tensor<T> ColumnSums()
    {
        var s = new T[Columns];
        for (int p = 0; p < Nnz; p++) s[ColIdx[p]] += Vals[p];
        return Tensor.FromArray(s, Columns);
    }
}
