using Distill.TeacherServer.Caching;
using Microsoft.ML.OnnxRuntime;

namespace Distill.TeacherServer.Tests;

/// <summary>The prefix cache's buffers: growth keeps what was filled, reused memory never leaks into masked slots, the pool is bounded.</summary>
public sealed class KvBlockTests
{
    private static readonly (int Heads, int HeadDim)[] Shapes = [(2, 4), (3, 4)];
    private const int Batch = 2;

    [Fact]
    public void Growing_keeps_the_filled_slots_and_zeroes_the_rest_even_in_a_reused_buffer()
    {
        var pool = new KvBufferPool(1 << 20);
        var dirty = new KvBlock(Shapes, Batch, 40, pool);
        Write(dirty, (_, _, _) => float.NaN);
        dirty.Release();

        var block = new KvBlock(Shapes, Batch, 4, pool);
        Write(block, (input, row, slot) => slot < 3 ? input * 1000 + row * 10 + slot : float.NaN);
        block.Filled(3);
        block.Reserve(40);

        Assert.Equal(dirty.Capacity, block.Capacity); // the dirty block's buffers were reused
        Read(block, (input, row, slot, value) => Assert.Equal(slot < 3 ? input * 1000 + row * 10 + slot : 0f, value));
    }

    [Fact]
    public void The_pool_hands_back_what_it_kept_and_frees_what_is_beyond_its_bound()
    {
        var pool = new KvBufferPool(maxBytes: 100 * sizeof(float));
        var (first, firstFresh) = pool.Rent(60);
        var (second, _) = pool.Rent(60);
        pool.Return(first);
        pool.Return(second); // 120 floats would exceed the bound of 100

        Assert.True(firstFresh);
        Assert.Equal(60 * sizeof(float), pool.BytesHeld);
        Assert.Throws<ObjectDisposedException>(() => second.Address);
        var (again, fresh) = pool.Rent(60);
        Assert.Same(first, again);
        Assert.False(fresh);
        Assert.True(pool.Rent(61).Fresh);
    }

    [Fact]
    public void A_prefix_copied_from_a_block_of_another_batch_size_lands_in_its_own_row_of_every_input()
    {
        var pool = new KvBufferPool(0);
        var source = new KvBlock(Shapes, 3, 5, pool);
        Write(source, (input, row, slot) => input * 1000 + row * 10 + slot);
        source.Filled(5);
        source.Rows[2] = new BlockRow(new int[5], [0, 1, 2, 3, 4], new ulong[5]);

        var block = new KvBlock(Shapes, Batch, 4, pool);
        block.CopyPrefix(source, sourceRow: 2, length: 4, row: 1);
        block.Filled(4);

        Read(block, (input, row, slot, value) =>
        {
            var (heads, _) = Shapes[input];
            var (b, head) = (row / heads, row % heads);
            Assert.Equal(b == 1 && slot < 4 ? input * 1000 + (2 * heads + head) * 10 + slot : 0f, value);
        });
    }

    [Fact]
    public void A_buffer_of_two_megabytes_or_more_is_zeroed_aligned_and_advised_to_use_huge_pages()
    {
        using var small = new KvBuffer(1000);
        using var large = new KvBuffer(KvBuffer.HugePageBytes / sizeof(float) + 5);

        Assert.True(small.Slice(0, (int)small.Length).IndexOfAnyExcept(0f) < 0);
        Assert.True(large.Slice(0, (int)large.Length).IndexOfAnyExcept(0f) < 0);
        Assert.False(small.HugePages);
        Assert.Throws<ArgumentOutOfRangeException>(() => small.Slice(999, 2));
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(0, large.Address % KvBuffer.HugePageBytes);
            Assert.Equal(Directory.Exists("/sys/kernel/mm/transparent_hugepage"), large.HugePages);
        }
    }

    private static void Write(KvBlock block, Func<int, int, int, float> value) => Visit(block, (input, row, slot, span, at) => span[at] = value(input, row, slot));

    private static void Read(KvBlock block, Action<int, int, int, float> check) => Visit(block, (input, row, slot, span, at) => check(input, row, slot, span[at]));

    private delegate void SlotVisitor(int input, int row, int slot, Span<float> data, int at);

    /// <summary>Every element of every slot, through the past the block feeds to ORT ([B,H,Capacity,D] per input).</summary>
    private static void Visit(KvBlock block, SlotVisitor visit)
    {
        var feed = block.Feed(Enumerable.Range(0, block.Batch).Select(_ => Array.Empty<int>()).ToArray());
        try
        {
            for (var input = 0; input < Shapes.Length; input++)
            {
                var data = feed.Values![input].GetTensorMutableDataAsSpan<float>();
                var (heads, headDim) = Shapes[input];
                for (var row = 0; row < block.Batch * heads; row++)
                {
                    for (var slot = 0; slot < block.Capacity; slot++)
                    {
                        for (var d = 0; d < headDim; d++)
                        {
                            visit(input, row, slot, data, (row * block.Capacity + slot) * headDim + d);
                        }
                    }
                }
            }
        }
        finally
        {
            foreach (var value in feed.Values!)
            {
                value.Dispose();
            }
        }
    }
}
