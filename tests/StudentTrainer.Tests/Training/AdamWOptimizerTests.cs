using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Tests.Model;
using Distill.StudentTrainer.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Training;

public sealed class AdamWOptimizerTests : IDisposable
{
    private static readonly ModelConfig Config = Gpt2Config.Project(vocab: 16, context: 8, width: 16, layers: 1, heads: 2, dropout: 0.0);
    private static readonly LearningRateSchedule Schedule = new(Peak: 3e-2, Floor: 1e-3, WarmupSteps: 3, TotalSteps: 12);
    private const double WeightDecay = 0.1;

    private readonly string _folder = Directory.CreateTempSubdirectory("distill-adamw-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Parameters_follow_torchsharps_adamw_with_and_without_decay()
    {
        using CausalLm ours = TinyModels.Create(Config, seed: 3), theirs = TinyModels.Create(Config, seed: 3);
        using AdamWOptimizer optimizer = AdamWFactory.Create(ours, Schedule.At(0), WeightDecay);
        (IReadOnlyList<Parameter> decay, IReadOnlyList<Parameter> noDecay) = theirs.ParameterGroupsForWeightDecay();
        using AdamW reference = optim.AdamW(
        [
            new AdamW.ParamGroup(decay, Schedule.At(0), 0.9, 0.95, 1e-8, WeightDecay),
            new AdamW.ParamGroup(noDecay, Schedule.At(0), 0.9, 0.95, 1e-8, 0.0),
        ]);
        Assert.NotEmpty(decay);
        Assert.NotEmpty(noDecay);
        float[] initial = decay[0].data<float>().ToArray();

        for (int step = 0; step < Schedule.TotalSteps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.LearningRate = Schedule.At(step);
            foreach (ParamGroup group in reference.ParamGroups.Cast<ParamGroup>()) group.LearningRate = Schedule.At(step);
            Backward(ours, seed: step);
            CopyGradients(ours, theirs);
            optimizer.step();
            reference.step();
            optimizer.zero_grad();
            reference.zero_grad();
        }

        Assert.All(ours.parameters().Zip(theirs.parameters()), pair =>
            Assert.True(TinyModels.MaxAbsDiff(pair.First, pair.Second) <= 1e-6, $"max |Δ| = {TinyModels.MaxAbsDiff(pair.First, pair.Second)}"));
        Assert.NotEqual(initial, decay[0].data<float>().ToArray());
    }

    [Fact]
    public void A_saved_state_resumes_bit_exactly()
    {
        using CausalLm whole = TinyModels.Create(Config, seed: 4);
        using AdamWOptimizer wholeOptimizer = AdamWFactory.Create(whole, Schedule.At(0), WeightDecay);
        for (int step = 0; step < 5; step++) Step(whole, wholeOptimizer, step);
        string state = Path.Combine(_folder, "optimizer.state");
        wholeOptimizer.Save(state);
        string weights = Path.Combine(_folder, "model.weights");
        whole.save(weights);

        using CausalLm resumed = TinyModels.Create(Config, seed: 99);
        resumed.load(weights);
        using AdamWOptimizer resumedOptimizer = AdamWFactory.Create(resumed, Schedule.At(0), WeightDecay);
        resumedOptimizer.Load(state);
        for (int step = 5; step < Schedule.TotalSteps; step++)
        {
            Step(whole, wholeOptimizer, step);
            Step(resumed, resumedOptimizer, step);
        }

        Assert.All(whole.parameters().Zip(resumed.parameters()), pair =>
            Assert.Equal(pair.First.data<float>().ToArray(), pair.Second.data<float>().ToArray()));
    }

    [Fact]
    public void A_state_of_another_model_is_a_clear_error()
    {
        using CausalLm small = TinyModels.Create(Config);
        using AdamWOptimizer smallOptimizer = AdamWFactory.Create(small, 1e-3, WeightDecay);
        string state = Path.Combine(_folder, "optimizer.state");
        smallOptimizer.Save(state);

        using CausalLm wide = TinyModels.Create(((Gpt2Config)Config) with { EmbeddingSize = 32 });
        using AdamWOptimizer wideOptimizer = AdamWFactory.Create(wide, 1e-3, WeightDecay);
        var error = Assert.Throws<InvalidDataException>(() => wideOptimizer.Load(state));
        Assert.Contains("optimizer.state", error.Message);

        File.WriteAllText(state, "not a state");
        Assert.Throws<InvalidDataException>(() => smallOptimizer.Load(state));
    }

    [Fact]
    public void A_parameter_without_a_gradient_is_left_alone()
    {
        using CausalLm model = TinyModels.Create(Config, seed: 5);
        using AdamWOptimizer optimizer = AdamWFactory.Create(model, 1e-2, WeightDecay);
        Parameter[] parameters = model.parameters().ToArray();
        float[][] before = parameters.Select(p => p.data<float>().ToArray()).ToArray();
        Backward(model, seed: 1);
        parameters[^1].grad = null;
        optimizer.step();
        Assert.Equal(before[^1], parameters[^1].data<float>().ToArray());
        Assert.NotEqual(before[0], parameters[0].data<float>().ToArray());
    }

    private static void Step(CausalLm model, AdamWOptimizer optimizer, int step)
    {
        using var scope = NewDisposeScope();
        optimizer.LearningRate = Schedule.At(step);
        optimizer.zero_grad();
        Backward(model, seed: step);
        optimizer.step();
    }

    /// <summary>Next-token cross-entropy of a fixed random batch, backward.</summary>
    private static void Backward(CausalLm model, int seed)
    {
        Tensor ids = TinyModels.RandomIds(4, Config.ContextLength + 1, seed, Config.VocabSize);
        Tensor logits = model.Forward(ids[.., ..^1]);
        nn.functional.cross_entropy(logits.flatten(0, 1), ids[.., 1..].flatten()).backward();
    }

    private static void CopyGradients(CausalLm from, CausalLm to)
    {
        foreach ((Parameter source, Parameter target) in from.parameters().Zip(to.parameters()))
        {
            using Tensor grad = source.grad!;
            target.grad = grad.clone();
        }
    }
}
