using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Generation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Training;

public class GarbageCollectionStressTests
{
    /// <summary>
    /// The way the trainer crashed: while the training thread is inside native code, another thread's garbage collection
    /// finalizes a Scalar the op still reads. Here a thread collects continuously while student forwards, every divergence,
    /// backward, AdamW steps and token sampling run. Timing-dependent: a pass is evidence, not proof (the code before
    /// <see cref="Scalars"/> failed here in roughly one run of ten, with the error of the crash).
    /// </summary>
    [Fact]
    public void Training_steps_survive_garbage_collections_on_another_thread()
    {
        var config = Gpt2Config.Project(vocab: 512, context: 16, width: 32, layers: 1, heads: 2, dropout: 0.0);
        manual_seed(8);
        using var model = config.CreateModel();
        using optim.Optimizer optimizer = AdamWFactory.Create(model, 1e-3, 0.1);
        using var generator = new Generator(8);
        using Tensor inputs = randint(0, config.VocabSize, [2, config.ContextLength], generator: generator);
        using Tensor padding = ones_like(inputs);
        using Tensor mask = ones(inputs.shape, ScalarType.Bool);
        using Tensor teacher = randn([2, config.ContextLength, config.VocabSize], generator: generator).log_softmax(-1);
        (Tensor logProbs, Tensor ids) = teacher.topk(32, dim: -1);
        using Tensor teacherLogProbs = logProbs, teacherIds = ids;
        var divergence = new DivergenceOptions(Temperature: 1.5, Alpha: 0.3, Beta: 0.4, Mu: 0.6);
        var sampling = new GenerationOptions { Temperature = 0.8, TopK = 50, TopP = 0.9 };

        using var stop = new CancellationTokenSource();
        int collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.KeepAlive(new byte[1 << 20]);
                GC.Collect(0);                       // the youngest generation, where a call's temporaries live
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
                Thread.Yield();                      // back-to-back collections would starve the training thread
            }
        }) { IsBackground = true };
        collector.Start();
        int steps = 0;
        try
        {
            // At least 20 steps, and on until the collector has run 10 times (120 steps at most).
            for (; steps < 120 && (steps < 20 || Volatile.Read(ref collections) < 10); steps++)
            {
                using var scope = NewDisposeScope();
                Tensor logits = model.Forward(inputs, attentionMask: padding);                         // (B, T, V)
                Tensor loss = stack(Enum.GetValues<DivergenceKind>()
                    .Select(kind => Divergences.Compute(kind, logits, teacherIds, teacherLogProbs, mask, divergence))).sum();
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                Assert.True(float.IsFinite(loss.item<float>()));
                TokenSampler.Sample(logits[.., -1, ..].detach(), sampling, generator);
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
        Assert.True(steps >= 2 && collections >= 10, $"{steps} steps, {collections} collections: the race was hardly run");
    }
}
