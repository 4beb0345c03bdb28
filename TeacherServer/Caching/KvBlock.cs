using Distill.TeacherServer.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Distill.TeacherServer.Caching;

/// <summary>
/// Keys and values of a batch of rows, kept by the server in one buffer per past_key_values input, [B,H,Capacity,D].
/// Slots [0, <see cref="Width"/>) are filled; a run appends its new positions after them, so a batch extended token by
/// token is fed the same buffers every step and never copies its past. A row's positions need not be contiguous
/// (holes where a run's rows had fewer new tokens than the longest); the slot of each is in <see cref="BlockRow.Slots"/>.
/// </summary>
public sealed class KvBlock
{
    /// <summary>Spare slots added when a block grows: at least this many, so a growing batch is re-laid out only every so often.</summary>
    public const int MinimumHeadroom = 16;

    private readonly (int Heads, int HeadDim)[] shapes;
    private readonly KvBufferPool pool;
    private KvBuffer[] buffers;
    private int preparedFor;

    /// <param name="shapes">(heads, head width) of each past_key_values input.</param>
    /// <param name="batch">Rows; row b occupies index b of the batch axis.</param>
    /// <param name="slots">Slots to hold from the start (more are added by <see cref="Reserve"/>).</param>
    /// <param name="pool">Where the buffers come from and go back to (<see cref="Release"/>).</param>
    public KvBlock(IReadOnlyList<(int Heads, int HeadDim)> shapes, int batch, int slots, KvBufferPool pool)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        this.shapes = [.. shapes];
        this.pool = pool;
        Batch = batch;
        Capacity = Padded(slots);
        buffers = new KvBuffer[this.shapes.Length];
        for (var i = 0; i < buffers.Length; i++)
        {
            var (buffer, fresh) = pool.Rent(Length(i, Capacity));
            if (!fresh)
            {
                buffer.Span.Clear(); // a masked slot must not hold NaN: its weight 0 times NaN would still be NaN
            }
            buffers[i] = buffer;
        }
        Rows = new BlockRow[batch];
    }

    public int Batch { get; }

    /// <summary>Slots each buffer holds per (row, head).</summary>
    public int Capacity { get; private set; }

    /// <summary>Slots filled so far (for every row; a row's own positions are its <see cref="BlockRow.Slots"/>).</summary>
    public int Width { get; private set; }

    /// <summary>Row b's tokens and slots; the cache re-indexes a row when a run extends it.</summary>
    public BlockRow[] Rows { get; }

    public long Bytes => buffers.Sum(b => b.Bytes);

    internal LinkedListNode<KvBlock>? Node { get; set; }

    /// <summary>Makes room for <paramref name="width"/> filled slots, copying the filled ones into larger buffers if needed.</summary>
    public void Reserve(int width)
    {
        if (width <= Capacity)
        {
            return;
        }
        var capacity = Padded(width);
        for (var i = 0; i < buffers.Length; i++)
        {
            var (heads, headDim) = shapes[i];
            var (grown, fresh) = pool.Rent(Length(i, capacity));
            var from = buffers[i].Span;
            var to = grown.Span;
            for (var row = 0; row < Batch * heads; row++)
            {
                from.Slice(row * Capacity * headDim, Width * headDim).CopyTo(to[(row * capacity * headDim)..]);
                if (!fresh)
                {
                    to.Slice((row * capacity + Width) * headDim, (capacity - Width) * headDim).Clear();
                }
            }
            pool.Return(buffers[i]);
            buffers[i] = grown;
        }
        Capacity = capacity;
    }

    /// <summary>A block that is being extended will likely outgrow its buffers: the next ones are made ready while the steps between run.</summary>
    private void PrepareNextSize()
    {
        preparedFor = Capacity;
        var next = Padded(Capacity + 1);
        pool.Prepare(Enumerable.Range(0, shapes.Length).Select(i => Length(i, next)).ToArray());
    }

    /// <summary>Hands the buffers back to the pool; the block must not be used afterwards.</summary>
    public void Release()
    {
        foreach (var buffer in buffers)
        {
            pool.Return(buffer);
        }
        buffers = [];
    }

    /// <summary>
    /// The buffers as a past of width <see cref="Capacity"/>: row b attends to the slots <paramref name="rowSlots"/>[b]
    /// lists, every other slot is masked. Dispose the returned values after the run.
    /// </summary>
    public PastFeed Feed(IReadOnlyList<int[]> rowSlots)
    {
        var mask = new long[Batch * Capacity];
        for (var b = 0; b < Batch; b++)
        {
            foreach (var slot in rowSlots[b])
            {
                mask[b * Capacity + slot] = 1;
            }
        }
        var values = new OrtValue[buffers.Length];
        for (var i = 0; i < buffers.Length; i++)
        {
            var (heads, headDim) = shapes[i];
            values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, [Batch, heads, Capacity, headDim],
                buffers[i].Address, buffers[i].Bytes);
        }
        return new PastFeed(values, Capacity, mask);
    }

    /// <summary>Copies the run's new positions (all S of them, padding included) into slots [Width, Width + S); Width grows by S.</summary>
    public void Append(TeacherBatchOutput output)
    {
        var count = output.Width;
        var extended = Width > 0;
        Reserve(Width + count);
        for (var i = 0; i < buffers.Length; i++)
        {
            var (heads, headDim) = shapes[i];
            var source = output.KeyValues(i, out var sourceWidth);
            var target = buffers[i].Span;
            for (var row = 0; row < Batch * heads; row++)
            {
                source.Slice((row * sourceWidth + output.KeyValueOffset) * headDim, count * headDim)
                    .CopyTo(target[(((row * Capacity) + Width) * headDim)..]);
            }
        }
        Width += count;
        if (extended && preparedFor != Capacity)
        {
            PrepareNextSize();
        }
    }

    /// <summary>Copies the first <paramref name="length"/> positions of another block's row into slots [0, length) of row <paramref name="row"/>.</summary>
    public void CopyPrefix(KvBlock source, int sourceRow, int length, int row)
    {
        var sourceSlots = source.Rows[sourceRow].Slots;
        for (var i = 0; i < buffers.Length; i++)
        {
            var (heads, headDim) = shapes[i];
            var from = source.buffers[i].Span;
            var to = buffers[i].Span;
            for (var p = 0; p < length;)
            {
                var run = 1;
                while (p + run < length && sourceSlots[p + run] == sourceSlots[p] + run)
                {
                    run++;
                }
                for (var h = 0; h < heads; h++)
                {
                    var fromOffset = ((sourceRow * heads + h) * source.Capacity + sourceSlots[p]) * headDim;
                    var toOffset = ((row * heads + h) * Capacity + p) * headDim;
                    from.Slice(fromOffset, run * headDim).CopyTo(to[toOffset..]);
                }
                p += run;
            }
        }
    }

    /// <summary>Marks slots [0, width) as filled (after <see cref="CopyPrefix"/> filled each row's leading slots).</summary>
    public void Filled(int width)
    {
        Reserve(width);
        Width = width;
    }

    private int Length(int input, int capacity) => checked(Batch * shapes[input].Heads * capacity * shapes[input].HeadDim);

    private static int Padded(int slots)
    {
        var wanted = slots + Math.Max(MinimumHeadroom, slots / 8);
        return (wanted + MinimumHeadroom - 1) / MinimumHeadroom * MinimumHeadroom;
    }
}

/// <summary>A row of a <see cref="KvBlock"/>: its tokens, the slot of each position, and the hash of each prefix.</summary>
public sealed record BlockRow(int[] Tokens, int[] Slots, ulong[] Hashes);
