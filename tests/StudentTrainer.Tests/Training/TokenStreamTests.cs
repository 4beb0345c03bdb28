using Distill.StudentTrainer.Data;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Training;

public class TokenStreamTests
{
    private static readonly TokenStream Counting = new(Enumerable.Range(0, 100).ToArray());

    [Fact]
    public void Random_batches_are_windows_with_targets_shifted_by_one_and_repeat_for_a_seed()
    {
        (Tensor x, Tensor y) = Counting.RandomBatch(new Random(3), batch: 4, length: 8);
        (Tensor x2, _) = Counting.RandomBatch(new Random(3), batch: 4, length: 8);
        Assert.Equal(new long[] { 4, 8 }, x.shape);
        Assert.True((y - x).eq(1).all().item<bool>());
        Assert.True((x[.., 1..] - x[.., ..^1]).eq(1).all().item<bool>());
        Assert.True(x.eq(x2).all().item<bool>());
    }

    [Fact]
    public void Sequential_batches_cover_every_target_exactly_once()
    {
        var targets = new List<long>();
        foreach ((Tensor x, Tensor y) in Counting.SequentialBatches(batch: 3, length: 8))
        {
            Assert.True((y - x).eq(1).all().item<bool>());
            targets.AddRange(y.data<long>().ToArray());
        }
        Assert.Equal(Enumerable.Range(1, 99).Select(i => (long)i), targets);
    }

    [Fact]
    public void Join_puts_the_separator_after_every_document()
    {
        var stream = TokenStream.Join([[5, 6], [7]], separator: 0);
        Assert.Equal(new[] { 5, 6, 0, 7, 0 }, stream.Read(0, stream.Count));
    }
}
