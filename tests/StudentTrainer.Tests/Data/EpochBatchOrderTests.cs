using Distill.StudentTrainer.Data;

namespace Distill.StudentTrainer.Tests.Data;

/// <summary>Epochs over a fixed set of batches: the first in order, each later one a seeded permutation of the same batches.</summary>
public sealed class EpochBatchOrderTests
{
    [Fact]
    public void Every_epoch_visits_the_first_epochs_batches_once_the_first_in_order_the_others_shuffled_anew()
    {
        var order = new EpochBatchOrder(batchesPerEpoch: 50, seed: 3);
        long[][] epochs = Enumerable.Range(0, 4).Select(e => Enumerable.Range(0, 50).Select(i => order.SourceOf(e * 50L + i)).ToArray()).ToArray();

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), epochs[0]);
        foreach (long[] epoch in epochs.Skip(1))
        {
            Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), epoch.Order());
            Assert.NotEqual(epochs[0], epoch);
        }
        Assert.NotEqual(epochs[1], epochs[2]);
        Assert.NotEqual(epochs[2], epochs[3]);
    }

    [Fact]
    public void The_order_is_a_function_of_the_seed_and_the_batch_alone()
    {
        var first = new EpochBatchOrder(40, seed: 9);
        var second = new EpochBatchOrder(40, seed: 9);
        long[] backwards = Enumerable.Range(0, 200).Reverse().Select(n => second.SourceOf(n)).Reverse().ToArray();

        Assert.Equal(Enumerable.Range(0, 200).Select(n => first.SourceOf(n)), backwards);
        Assert.NotEqual(Enumerable.Range(40, 40).Select(n => first.SourceOf(n)), Enumerable.Range(40, 40).Select(n => new EpochBatchOrder(40, seed: 10).SourceOf(n)));
    }
}
