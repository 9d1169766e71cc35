using System.Numerics;

namespace NativeFree.Tensors.Sparse;

/// <summary>
/// A sparse matrix in compressed sparse row (CSR) form: row <c>i</c> holds the entries
/// <c>ColumnIndices[RowPointers[i] .. RowPointers[i+1])</c> with values at the same positions.
/// Indices are <see cref="int"/>; the number of stored entries is limited to
/// <see cref="MaxNnz"/> (.NET's largest array). A row never holds the same column twice.
/// Column indices inside a row may be unsorted: <see cref="HasSortedIndices"/> says which,
/// and <see cref="SortIndices"/> gives a sorted matrix. The structure is immutable; the values
/// may be changed in place through <see cref="Values"/>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed partial class CsrMatrix<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The largest number of stored entries a CSR matrix can hold (<see cref="Array.MaxLength"/>).</summary>
    public static int MaxNnz => Array.MaxLength;

    internal readonly int[] RowPtr;
    internal readonly int[] ColIdx;
    internal readonly T[] Vals;

    /// <summary>Trusted constructor: the arrays are taken as they are (internal kernels build valid ones).</summary>
    internal CsrMatrix(int rows, int columns, int[] rowPtr, int[] colIdx, T[] vals, bool sorted)
    {
        Rows = rows;
        Columns = columns;
        RowPtr = rowPtr;
        ColIdx = colIdx;
        Vals = vals;
        HasSortedIndices = sorted;
    }

    /// <summary>
    /// Wraps CSR arrays (not copied: the matrix takes ownership). Validates everything: sizes,
    /// monotone row pointers starting at 0 and ending at the entry count, column indices in range
    /// and no column repeated within a row. Whether the rows are sorted is detected.
    /// </summary>
    /// <exception cref="ArgumentException">The arrays do not describe a valid CSR matrix; the message says where.</exception>
    public CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, T[] values)
    {
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        if (rows < 0 || columns < 0)
            throw new ArgumentException($"CSR shape [{rows}, {columns}] has a negative size.");
        if (rowPointers.Length != rows + 1)
            throw new ArgumentException($"rowPointers has length {rowPointers.Length}; a [{rows}, {columns}] CSR matrix needs {rows + 1}.", nameof(rowPointers));
        if (columnIndices.Length != values.Length)
            throw new ArgumentException($"columnIndices (length {columnIndices.Length}) and values (length {values.Length}) differ in length.", nameof(values));
        if (rowPointers[0] != 0)
            throw new ArgumentException($"rowPointers[0] is {rowPointers[0]}; it must be 0.", nameof(rowPointers));
        if (rowPointers[rows] != columnIndices.Length)
            throw new ArgumentException($"rowPointers[{rows}] is {rowPointers[rows]} but there are {columnIndices.Length} entries.", nameof(rowPointers));
        bool sorted = true;
        var mark = new int[columns];
        Array.Fill(mark, -1);
        for (int i = 0; i < rows; i++)
        {
            int s = rowPointers[i], e = rowPointers[i + 1];
            if (e < s)
                throw new ArgumentException($"rowPointers decreases at row {i} ({s} then {e}).", nameof(rowPointers));
            for (int p = s; p < e; p++)
            {
                int j = columnIndices[p];
                if ((uint)j >= (uint)columns)
                    throw new ArgumentException($"Column index {j} at entry {p} (row {i}) is out of range for a [{rows}, {columns}] matrix.", nameof(columnIndices));
                if (mark[j] == i)
                    throw new ArgumentException($"Column {j} appears twice in row {i}; sum duplicates with CooBuilder first.", nameof(columnIndices));
                mark[j] = i;
                if (p > s && columnIndices[p - 1] > j) sorted = false;
            }
        }
        Rows = rows;
        Columns = columns;
        RowPtr = rowPointers;
        ColIdx = columnIndices;
        Vals = values;
        HasSortedIndices = sorted;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>Number of stored entries (explicit zeros included).</summary>
    public int Nnz => ColIdx.Length;

    /// <summary>True when the column indices increase strictly within every row.</summary>
    public bool HasSortedIndices { get; }

    /// <summary>Row pointers, length <see cref="Rows"/>+1.</summary>
    public ReadOnlySpan<int> RowPointers => RowPtr;

    /// <summary>Column index of each stored entry.</summary>
    public ReadOnlySpan<int> ColumnIndices => ColIdx;

    /// <summary>Value of each stored entry; writable in place (the structure stays fixed).</summary>
    public Span<T> Values => Vals;

    /// <summary>The shape formatted for messages, e.g. <c>[3, 4] (nnz 5)</c>.</summary>
    public override string ToString() => $"CsrMatrix<{typeof(T).Name}> [{Rows}, {Columns}] (nnz {Nnz}{(HasSortedIndices ? "" : ", unsorted")})";

    internal string ShapeText => $"[{Rows}, {Columns}]";

    /// <summary>The column indices of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<int> RowIndices(int row)
    {
        CheckRow(row);
        return ColIdx.AsSpan(RowPtr[row], RowPtr[row + 1] - RowPtr[row]);
    }

    /// <summary>The values of row <paramref name="row"/> (writable).</summary>
    public Span<T> RowValues(int row)
    {
        CheckRow(row);
        return Vals.AsSpan(RowPtr[row], RowPtr[row + 1] - RowPtr[row]);
    }

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)Rows)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Row {row} is out of range for a {ShapeText} matrix.");
    }

    /// <summary>The element at (<paramref name="row"/>, <paramref name="column"/>): the stored value or zero.</summary>
    public T this[int row, int column]
    {
        get
        {
            CheckRow(row);
            if ((uint)column >= (uint)Columns)
                throw new ArgumentOutOfRangeException(nameof(column), column, $"Column {column} is out of range for a {ShapeText} matrix.");
            int s = RowPtr[row], e = RowPtr[row + 1];
            if (HasSortedIndices)
            {
                int k = Array.BinarySearch(ColIdx, s, e - s, column);
                return k >= 0 ? Vals[k] : T.Zero;
            }
            for (int p = s; p < e; p++) if (ColIdx[p] == column) return Vals[p];
            return T.Zero;
        }
    }

    // ------------------------------------------------------------------ construction

    /// <summary>An all-zero matrix (no stored entries).</summary>
    public static CsrMatrix<T> Zeros(int rows, int columns)
    {
        if (rows < 0 || columns < 0) throw new ArgumentException($"CSR shape [{rows}, {columns}] has a negative size.");
        return new CsrMatrix<T>(rows, columns, new int[rows + 1], [], [], sorted: true);
    }

    /// <summary>The <paramref name="n"/>×<paramref name="n"/> identity.</summary>
    public static CsrMatrix<T> Identity(int n)
    {
        if (n < 0) throw new ArgumentException($"Identity size {n} is negative.", nameof(n));
        var rp = new int[n + 1];
        var ci = new int[n];
        var v = new T[n];
        for (int i = 0; i < n; i++) { rp[i + 1] = i + 1; ci[i] = i; v[i] = T.One; }
        return new CsrMatrix<T>(n, n, rp, ci, v, sorted: true);
    }

    /// <summary>The nonzero elements of a 2-D tensor (exact zeros are dropped; NaN is kept). Rows come out sorted.</summary>
    public static CsrMatrix<T> FromDense(Tensor<T> dense)
    {
        ArgumentNullException.ThrowIfNull(dense);
        if (dense.Rank != 2)
            throw new ArgumentException($"FromDense needs a matrix; got shape {ShapeUtil.Format(dense.Shape)}.", nameof(dense));
        int m = dense.Shape[0], n = dense.Shape[1];
        // (An empty tensor may report itself non-contiguous, so it never reaches AsSpan.)
        if (m == 0 || n == 0) return Zeros(m, n);
        var d = dense.Contiguous().AsSpan();
        var rp = new int[m + 1];
        long count = 0;
        for (int i = 0; i < m; i++)
        {
            var row = d.Slice(i * n, n);
            for (int j = 0; j < n; j++) if (row[j] != T.Zero) count++;
            if (count > MaxNnz) throw new ArgumentException($"Dense matrix {ShapeUtil.Format(dense.Shape)} has more than {MaxNnz} nonzeros.", nameof(dense));
            rp[i + 1] = (int)count;
        }
        var ci = new int[count];
        var v = new T[count];
        int p = 0;
        for (int i = 0; i < m; i++)
        {
            var row = d.Slice(i * n, n);
            for (int j = 0; j < n; j++)
                if (row[j] != T.Zero) { ci[p] = j; v[p] = row[j]; p++; }
        }
        return new CsrMatrix<T>(m, n, rp, ci, v, sorted: true);
    }

    /// <summary>A dense [Rows, Columns] tensor with the same elements.</summary>
    public Tensor<T> ToDense()
    {
        var t = Tensor.Zeros<T>(Rows, Columns);
        if (Nnz == 0) return t;
        var d = t.AsSpan();
        for (int i = 0; i < Rows; i++)
            for (int p = RowPtr[i]; p < RowPtr[i + 1]; p++) d[i * Columns + ColIdx[p]] = Vals[p];
        return t;
    }

    /// <summary>A deep copy.</summary>
    public CsrMatrix<T> Clone() =>
        new(Rows, Columns, (int[])RowPtr.Clone(), (int[])ColIdx.Clone(), (T[])Vals.Clone(), HasSortedIndices);

    // ------------------------------------------------------------------ structure

    /// <summary>
    /// The transpose, with sorted rows (a counting sort by column: O(nnz + rows + columns)).
    /// </summary>
    public CsrMatrix<T> Transpose()
    {
        int m = Rows, n = Columns, nnz = Nnz;
        var rp = new int[n + 1];
        for (int p = 0; p < nnz; p++) rp[ColIdx[p] + 1]++;
        for (int j = 0; j < n; j++) rp[j + 1] += rp[j];
        var next = new int[n];
        Array.Copy(rp, next, n);
        var ci = new int[nnz];
        var v = new T[nnz];
        for (int i = 0; i < m; i++)
            for (int p = RowPtr[i]; p < RowPtr[i + 1]; p++)
            {
                int q = next[ColIdx[p]]++;
                ci[q] = i;
                v[q] = Vals[p];
            }
        return new CsrMatrix<T>(n, m, rp, ci, v, sorted: true);
    }

    /// <summary>This matrix when its rows are already sorted, otherwise a copy with every row sorted by column.</summary>
    public CsrMatrix<T> SortIndices()
    {
        if (HasSortedIndices) return this;
        var ci = (int[])ColIdx.Clone();
        var v = (T[])Vals.Clone();
        for (int i = 0; i < Rows; i++)
            SparseSort.SortRow(ci.AsSpan(RowPtr[i], RowPtr[i + 1] - RowPtr[i]), v.AsSpan(RowPtr[i], RowPtr[i + 1] - RowPtr[i]));
        return new CsrMatrix<T>(Rows, Columns, (int[])RowPtr.Clone(), ci, v, sorted: true);
    }

    /// <summary>Each stored entry as (row, column, value), in storage order.</summary>
    public IEnumerable<(int Row, int Column, T Value)> Entries()
    {
        for (int i = 0; i < Rows; i++)
            for (int p = RowPtr[i]; p < RowPtr[i + 1]; p++) yield return (i, ColIdx[p], Vals[p]);
    }
}

/// <summary>Row sorting shared by the sparse kernels: insertion sort for short rows, introsort otherwise.</summary>
internal static class SparseSort
{
    public static void SortRow<T>(Span<int> cols, Span<T> vals)
    {
        if (cols.Length <= 32)
        {
            for (int a = 1; a < cols.Length; a++)
            {
                int c = cols[a];
                T v = vals[a];
                int b = a - 1;
                while (b >= 0 && cols[b] > c) { cols[b + 1] = cols[b]; vals[b + 1] = vals[b]; b--; }
                cols[b + 1] = c;
                vals[b + 1] = v;
            }
        }
        else cols.Sort(vals);
    }
}
