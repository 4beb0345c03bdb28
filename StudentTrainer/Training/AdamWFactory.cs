using Distill.StudentTrainer.Model;
using TorchSharp.Modules;

namespace Distill.StudentTrainer.Training;

/// <summary>AdamW as every trainer here uses it: β = (0.9, 0.95), ε = 1e-8, decoupled decay on 2-D weights only.</summary>
public static class AdamWFactory
{
    public static AdamWOptimizer Create(CausalLm model, double learningRate, double weightDecay)
    {
        (IReadOnlyList<Parameter> decay, IReadOnlyList<Parameter> noDecay) = model.ParameterGroupsForWeightDecay();
        return new AdamWOptimizer([new AdamWGroup(decay, weightDecay), new AdamWGroup(noDecay, 0.0)], learningRate, 0.9, 0.95, 1e-8);
    }
}
