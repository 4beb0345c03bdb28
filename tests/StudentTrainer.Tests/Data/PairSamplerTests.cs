using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Tests.Data;

public class PairSamplerTests
{
    [Fact]
    public void Each_epoch_visits_every_pair_once_in_a_seeded_order()
    {
        var sampler = new PairSampler(count: 10, batch: 4, seed: 3);
        int[] places = [.. Enumerable.Range(0, 10).SelectMany(n => sampler.IndicesOf(n))];   // 40 places: 4 epochs
        int[][] epochs = [.. places.Chunk(10)];
        Assert.All(epochs, epoch => Assert.Equal(Enumerable.Range(0, 10), epoch.Order()));
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.NotEqual(Enumerable.Range(0, 10), epochs[0]);
    }

    [Fact]
    public void A_batch_is_a_pure_function_of_seed_and_index()
    {
        var first = new PairSampler(7, 3, seed: 1);
        var again = new PairSampler(7, 3, seed: 1);
        var other = new PairSampler(7, 3, seed: 2);
        Assert.Equal(first.IndicesOf(5), again.IndicesOf(5));                   // without visiting batches 0 … 4 first
        Assert.NotEqual(Enumerable.Range(0, 20).SelectMany(n => first.IndicesOf(n)), Enumerable.Range(0, 20).SelectMany(n => other.IndicesOf(n)));
    }
}
