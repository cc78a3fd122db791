"""The seed notebooks' cells as TensorFlow-Python presets, in their original text.

Each preset is the code cells a notebook ran, in its order, joined by a blank line: the
definitions it needs, then the cell that differentiates. ``PRINTED`` holds what the notebook
printed for it (a displayed value as ``repr`` shows it on one line; TensorFlow 2.21's own
words for the RuntimeError); ``None`` where the notebook did not run that combination.
"""
from __future__ import annotations

from .examples import Preset

__all__ = ["PYTHON_PRESETS", "PRINTED", "CELLS", "TRAINING_CELL", "TRAINING_PRINTED",
           "APPROXIMATE"]

CELLS = {
    ('000', 2): r'''import tensorflow as tf
''',
    ('000', 6): r'''def step_1(x):
  return x**2

def step_2(x):
  return 5*x + 3

# Test them
x = tf.constant(6.0) # y = 5 * 6^2 + 3 = 183
y1 = step_1(x)
print("Step 1 Output",y1.numpy())
y2 = step_2(y1)
print("Step 2 Output",y2.numpy())
''',
    ('000', 7): r'''with tf.GradientTape() as tape:
  tape.watch(x)
  y1 = step_1(x)
  y2 = step_2(y1)
  grad = tape.gradient(y1,x)
print("Gradient for step 1",grad.numpy()) # should be 2x
''',
    ('000', 8): r'''with tf.GradientTape() as tape:
  tape.watch(x)
  y1 = step_1(x)
  y2 = step_2(y1)
  grad = tape.gradient(y2,x)
print("Gradient for step 1",grad.numpy()) # should be 10x
''',
    ('000', 20): r'''def bad_step_1(x): # Not Differentiable everywhere
  if(x>5):
    return x**2
  else:
    return tf.constant(0.0)
''',
    ('000', 21): r'''# for x > 5
x = tf.constant(7.0) # y = 5 * 7^2 + 3 = 248
with tf.GradientTape() as tape1,tf.GradientTape() as tape2:
  tape1.watch(x)
  tape2.watch(x)
  y1 = bad_step_1(x)
  y2 = step_2(y1)
  grad1 = tape1.gradient(y1,x)
  grad2 = tape2.gradient(y2,x)
print("First step output ",y1.numpy())
print("Second step output ",y2.numpy())
print("Gradient for Step 1 ",grad1.numpy())
print("Gradient for Step 2 ",grad2.numpy())
''',
    ('000', 22): r'''# for x < 5
x = tf.constant(2.0) # y = 5 * 0 + 3 = 3
with tf.GradientTape() as tape1,tf.GradientTape() as tape2:
  tape1.watch(x)
  tape2.watch(x)
  y1 = bad_step_1(x)
  y2 = step_2(y1)
  grad1 = tape1.gradient(y1,x)
  grad2 = tape2.gradient(y2,x)
print("First step output ",y1.numpy())
print("Second step output ",y2.numpy())
print("Gradient for Step 1 ",grad1)
print("Gradient for Step 2 ",grad2)
''',
    ('000', 25): r'''@tf.custom_gradient
def bad_step_grad(x): # custom gradient everywhere
  f = bad_step_1(x) # this is what the function will do in forward pass
  def custom_grad(dy):
    if(x>5):
      g = 2*x * dy # what automatic differentiation does
    else:
      g = dy # this is waht we are defining
    return g
  return f,custom_grad
''',
    ('000', 27): r'''# for x < 5
x = tf.constant(2.0) # y = 5 * 0 + 3 = 3
with tf.GradientTape() as tape1,tf.GradientTape() as tape2:
  tape1.watch(x)
  tape2.watch(x)
  y1 = bad_step_grad(x)
  y2 = step_2(y1)
  grad1 = tape1.gradient(y1,x)
  grad2 = tape2.gradient(y2,x)
print("First step output ",y1.numpy())
print("Second step output ",y2.numpy())
print("Gradient for Step 1 ",grad1.numpy())
print("Gradient for Step 2 ",grad2.numpy())
''',
    ('000', 28): r'''# for x > 5
x = tf.constant(7.0) # y = 5 * 7^2 + 3 = 248
with tf.GradientTape() as tape1,tf.GradientTape() as tape2:
  tape1.watch(x)
  tape2.watch(x)
  y1 = bad_step_grad(x)
  y2 = step_2(y1)
  grad1 = tape1.gradient(y1,x)
  grad2 = tape2.gradient(y2,x)
print("First step output ",y1.numpy())
print("Second step output ",y2.numpy())
print("Gradient for Step 1 ",grad1.numpy())
print("Gradient for Step 2 ",grad2.numpy())
''',
    ('001', 'foo'): r'''@tf.custom_gradient
def foo(x):
    tf.debugging.assert_rank(x, 0)

    def grad(dy_dx_upstream):
        dy_dx = 2 * x
        dy_dx_downstream = dy_dx * dy_dx_upstream
        tf.print(f'x={x}\tupstream={dy_dx_upstream}\tcurrent={dy_dx}\t\tdownstream={dy_dx_downstream}')
        return dy_dx_downstream

    y = x ** 2
    tf.print(f'x={x}\ty={y}')

    return y, grad


x = tf.constant(2.0, dtype=tf.float32)

with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = foo(foo(foo(x))) # y = x ** 8

tf.print(f'\nfinal dy/dx={tape.gradient(y, x)}')
''',
    ('002', 1): r'''import tensorflow as tf
''',
    ('002', 2): r'''def f(w1, w2):
    return 3 * w1 ** 2 + 2 * w1 * w2
''',
    ('002', 3): r'''w1, w2 = 5, 3
eps = 1e-6 # Small difference
''',
    ('002', 4): r'''(f(w1 + eps, w2) - f(w1, w2)) / eps
''',
    ('002', 5): r'''(f(w1, w2 + eps) - f(w1, w2)) / eps
''',
    ('002', 6): r'''w1, w2 = tf.Variable(5.), tf.Variable(3.)
''',
    ('002', 7): r'''with tf.GradientTape() as tape: # Creating a tape that records the computations
    z = f(w1, w2)
''',
    ('002', 8): r'''gradients = tape.gradient(z, [w1, w2])
''',
    ('002', 9): r'''gradients
''',
    ('002', 10): r'''with tf.GradientTape() as tape:
    z = f(w1, w2)
''',
    ('002', 11): r'''dz_dw1 = tape.gradient(z, w1)
dz_dw1
''',
    ('002', 12): r'''dz_dw2 = tape.gradient(z, w1)
dz_dw2 # Gives error as the tape can be used only once.
''',
    ('002', 13): r'''with tf.GradientTape(persistent = True) as tape: # Setting the tape as persistent for multiple usage
    z = f(w1, w2)
''',
    ('002', 14): r'''tape.gradient(z, w1)
''',
    ('002', 15): r'''tape.gradient(z, w2)
''',
    ('002', 16): r'''del tape
''',
    ('002', 17): r'''c1, c2 = tf.constant(5.), tf.constant(3.)
''',
    ('002', 18): r'''with tf.GradientTape() as tape:
    z = f(c1, c2)
''',
    ('002', 19): r'''tape.gradient(z, [c1, c2]) # No gradients as tape by default track only variables.
''',
    ('002', 20): r'''with tf.GradientTape() as tape:
    tape.watch(c1) # Forcing tape to track tensors
    tape.watch(c2)
    z = f(c1, c2)
''',
    ('002', 21): r'''tape.gradient(z, [c1, c2])
''',
    ('002', 22): r'''with tf.GradientTape() as tape:
    z1 = f(w1, w2 + 2.)
    z2 = f(w1, w2 + 5.)
    z3 = f(w1, w2 + 7.)
tape.gradient([z1, z2, z3], [w1, w2]) # Gradients for multiple outputs.
''',
    ('002', 23): r'''with tf.GradientTape(persistent = True) as tape:
    z1 = f(w1, w2 + 2.)
    z2 = f(w1, w2 + 5.)
    z3 = f(w1, w2 + 7.)
tf.reduce_sum(tf.stack([tape.gradient(z, [w1, w2]) for z in (z1, z2, z3)]), axis = 0) # The above cell is same as this one
''',
    ('002', 24): r'''with tf.GradientTape(persistent = True) as hessian_tape:
    with tf.GradientTape() as tape:
        z = f(w1, w2)
    jacobians = tape.gradient(z, [w1, w2])
hessians = [hessian_tape.gradient(jacobian, [w1, w2]) for jacobian in jacobians]
''',
    ('002', 25): r'''jacobians
''',
    ('002', 26): r'''hessians
''',
    ('002', 27): r'''def f(w1, w2):
    return 3 * w1 ** 2 + tf.stop_gradient(2 * w1 * w2)
''',
    ('002', 28): r'''with tf.GradientTape() as tape:
    z = f(w1, w2)
''',
    ('002', 29): r'''tape.gradient(z, [w1, w2])
''',
    ('002', 37): r'''x = tf.Variable([100.])
''',
    ('002', 38): r'''# Softplus activation func
def softplus(z):
    return tf.math.log(tf.exp(z) + 1)
''',
    ('002', 39): r'''with tf.GradientTape() as tape:
    z = softplus(x)
''',
    ('002', 40): r'''tape.gradient(z, [x])
''',
    ('002', 41): r'''@tf.custom_gradient
def softplus_v2(z):
    exp = tf.exp(z)
    def softplus_v2_gradient(grad):
        return grad / (1 + 1 / exp)
    return tf.math.log(exp + 1), softplus_v2_gradient
''',
    ('002', 42): r'''def softplus_v2(z):
    return tf.where(z > 30., z, tf.math.log(tf.exp(z) + 1.))
''',
    ('002', 43): r'''x = tf.Variable([1000.])
''',
    ('002', 47): r'''with tf.GradientTape() as tape:
    z = softplus_v2(x)
''',
    ('002', 48): r'''z, tape.gradient(z, [x])
''',
    ('003', 3): r'''@tf.custom_gradient
def bar(x, y):
    tf.debugging.assert_rank(x, 0)
    tf.debugging.assert_rank(y, 0)

    def grad(upstream):
        dz_dx = y
        dz_dy = x
        return upstream * dz_dx, upstream * dz_dy
    
    z = x * y
    
    return z, grad

x = tf.constant(2.0, dtype=tf.float32)
y = tf.constant(3.0, dtype=tf.float32)

with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    tape.watch(y)
    z = bar(x, y)

tf.print(z)
tf.print(tape.gradient(z, x))
tf.print(tape.gradient(z, y))
tf.print(tape.gradient(x, y))
''',
    ('003', 4): r'''# @tf.function
@tf.custom_gradient
def differentiable_sign(x):
    tf.debugging.assert_rank(x, 0)

    def grad(upstream):
        dy_dx = tf.math.sigmoid(x) * (1 - tf.math.sigmoid(x))
        return upstream * dy_dx
    
    if x > tf.constant(0.0):
        return tf.constant(1.0), grad
    else:
        return tf.constant(-1.0), grad


x = tf.constant(3.0, dtype=tf.float32)

with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = differentiable_sign(x)
    loss = tf.nn.l2_loss(y - tf.constant(-1.0))
    
tf.print(y)
tf.print(tape.gradient(y, x))
tf.print(loss)
tf.print(tape.gradient(loss, x))
''',
}

# Seed 003's training loop (cell 5): the preset py_sign_train. The graph is train_step's tape
# at x = -1 (one run); the loop's printout is TensorFlow and a real Keras Adam stepping the
# tf.Variable 100 times (graphviz_core.training.loop.run_training).
TRAINING_CELL = r'''x = tf.Variable(-1.0)
opt = tf.keras.optimizers.Adam(1e-1)
# opt = tf.keras.optimizers.SGD(1)

def train_step():
    with tf.GradientTape() as tape:
        y = differentiable_sign(x)
        loss = tf.nn.l2_loss(y - tf.constant(1.0))
    grads = tape.gradient(loss, x)
    opt.apply_gradients(zip([grads], [x]))
    return loss, y, grads

for i in range(100):
    loss, y, grads = train_step()
    if i % 10 == 0:
        tf.print(i, loss, grads, x, y)
'''
TRAINING_PRINTED = ['0 2 -0.393223882 -0.89999783 -1', '10 0 0 0.0995881185 1',
                    '20 0 0 0.6450876 1', '30 0 0 0.855591536 1', '40 0 0 0.938390434 1',
                    '50 0 0 0.970632374 1', '60 0 0 0.983009696 1', '70 0 0 0.987700462 1',
                    '80 0 0 0.989459515 1', '90 0 0 0.990113616 1']


CELLS[('003', 5)] = TRAINING_CELL

# Presets whose printout TensorFlow reproduces only to a tolerance, and why (tests/test_pyform.py
# compares these with it; every other preset's printout is compared line for line).
APPROXIMATE = {
    'py_sign_train': "Keras 3's Adam (TensorFlow 2.21) rounds its bias corrections and epsilon "
                     "differently from the notebook's tf.keras 2 Adam: x after step 0 is "
                     "-0.900001466, not -0.89999783 (both are a step of lr = 0.1); x is "
                     "compared to 1e-5 at step 0 and 1e-4 after; every other column exactly",
}


def _cells(*keys) -> str:
    return "\n".join(CELLS[k] for k in keys)


PYTHON_PRESETS = [
    Preset('py_two_step_1', 'Python: two steps, gradient of step 1', '000',
           'Seed 000, cells 2, 6 and 7 as written: 36, 183 forward, gradient of step 1 = 12.',
           _cells(('000', 2), ('000', 6), ('000', 7))),
    Preset('py_two_step_2', 'Python: two steps, gradient of both', '000',
           'Seed 000, cells 2, 6 and 8: the gradient of both steps = 60.',
           _cells(('000', 2), ('000', 6), ('000', 8))),
    Preset('py_bad_step_7', 'Python: bad_step_1 at x = 7', '000',
           'Seed 000, cells 2, 6, 20, 21: above 5 TensorFlow differentiates x²: 14 and 70.',
           _cells(('000', 2), ('000', 6), ('000', 20), ('000', 21))),
    Preset('py_bad_step_2', 'Python: bad_step_1 at x = 2 (None)', '000',
           'Seed 000, cells 2, 6, 20, 22: below 5 the constant branch is disconnected: None, None.',
           _cells(('000', 2), ('000', 6), ('000', 20), ('000', 22))),
    Preset('py_straight_2', 'Python: straight-through at x = 2', '000',
           'Seed 000, cells 2, 6, 20, 25, 27: the custom gradient passes the upstream through: 1 and 5.',
           _cells(('000', 2), ('000', 6), ('000', 20), ('000', 25), ('000', 27))),
    Preset('py_straight_7', 'Python: straight-through at x = 7', '000',
           'Seed 000, cells 2, 6, 20, 25, 28: above 5 the custom rule is 2x: 14 and 70.',
           _cells(('000', 2), ('000', 6), ('000', 20), ('000', 25), ('000', 28))),
    Preset('py_foo', 'Python: foo∘foo∘foo with prints in the rule', '001/003',
           "Seed 001 (and 003's cell 2): the rule prints upstream, current and downstream at each call: 1024.",
           _cells(('001', 'foo'))),
    Preset('py_f_variables', 'Python: f(w1, w2) with Variables', '002',
           'Seed 002, cells 1, 2, 6-9: tape.gradient(z, [w1, w2]) = 36, 10.',
           _cells(('002', 1), ('002', 2), ('002', 6), ('002', 7), ('002', 8), ('002', 9))),
    Preset('py_f_finite', 'Python: finite differences, then autodiff', '002',
           'Seed 002, cells 1-9: (f(w1 + eps, w2) - f(w1, w2)) / eps on Python numbers (float64, as Python computes them): 36.000003007075065 and 10.000000003174137; then the tape: 36, 10.',
           _cells(('002', 1), ('002', 2), ('002', 3), ('002', 4), ('002', 5), ('002', 6), ('002', 7), ('002', 8), ('002', 9))),
    Preset('py_f_tape_once', 'Python: a tape used twice (RuntimeError)', '002',
           "Seed 002, cells 10-12: the second gradient on a non-persistent tape is TensorFlow's RuntimeError.",
           _cells(('002', 1), ('002', 2), ('002', 6), ('002', 10), ('002', 11), ('002', 12))),
    Preset('py_f_persistent', 'Python: a persistent tape', '002',
           'Seed 002, cells 13-16: a persistent tape gives both gradients, 36 and 10.',
           _cells(('002', 1), ('002', 2), ('002', 6), ('002', 13), ('002', 14), ('002', 15), ('002', 16))),
    Preset('py_f_constants', 'Python: constants are not watched', '002',
           'Seed 002, cells 17-19: the tape does not watch constants: [None, None].',
           _cells(('002', 1), ('002', 2), ('002', 17), ('002', 18), ('002', 19))),
    Preset('py_f_watch', 'Python: tape.watch constants', '002',
           'Seed 002, cells 17, 20, 21: watched constants: 36, 10.',
           _cells(('002', 1), ('002', 2), ('002', 17), ('002', 20), ('002', 21))),
    Preset('py_f_multi', 'Python: several targets', '002',
           'Seed 002, cell 22: tape.gradient([z1, z2, z3], [w1, w2]) = 136, 30.',
           _cells(('002', 1), ('002', 2), ('002', 6), ('002', 22)), targets=('z1', 'z2', 'z3')),
    Preset('py_f_stack', 'Python: several targets, by a comprehension', '002',
           'Seed 002, cell 23: tf.reduce_sum(tf.stack([tape.gradient(z, [w1, w2]) for z in (z1, z2, z3)]), axis=0) = [136, 30].',
           _cells(('002', 1), ('002', 2), ('002', 6), ('002', 23))),
    Preset('py_hessian', 'Python: Hessian with nested tapes', '002',
           'Seed 002, cells 24-26: jacobians 36, 10; hessians [[6, 2], [2, None]].',
           _cells(('002', 1), ('002', 2), ('002', 6), ('002', 24), ('002', 25), ('002', 26))),
    Preset('py_f_stop', 'Python: tf.stop_gradient', '002',
           'Seed 002, cells 27-29: stop_gradient(2 w1 w2): 30 and None.',
           _cells(('002', 1), ('002', 6), ('002', 27), ('002', 28), ('002', 29))),
    Preset('py_softplus', 'Python: softplus overflows (NaN)', '002',
           'Seed 002, cells 37-40: log(exp(100) + 1) in float32: the gradient is NaN.',
           _cells(('002', 1), ('002', 37), ('002', 38), ('002', 39), ('002', 40))),
    Preset('py_softplus_where', 'Python: softplus with tf.where (the trap)', '002',
           "Seed 002, cells 41-48 in the notebook's order (cell 42 redefines softplus_v2): 1000, gradient NaN.",
           _cells(('002', 1), ('002', 41), ('002', 42), ('002', 43), ('002', 47), ('002', 48))),
    Preset('py_softplus_custom', 'Python: softplus with a custom gradient', '002',
           'Seed 002, cells 41, 43, 47, 48 (without cell 42): the custom rule gives 1 where the forward value is inf.',
           _cells(('002', 1), ('002', 41), ('002', 43), ('002', 47), ('002', 48))),
    Preset('py_bar', 'Python: bar(x, y) with a rule for each input', '003',
           'Seed 003, cell 3: z = 6, dz/dx = 3, dz/dy = 2, dx/dy = None.',
           _cells(('003', 3))),
    Preset('py_sign', 'Python: differentiable sign', '003',
           'Seed 003, cell 4: sign forward, sigmoid derivative backward: 1, 0.0451766551, 2, 0.0903533101.',
           _cells(('003', 4))),
    Preset('py_sign_train', 'Python: train the differentiable sign with Adam', '003',
           "Seed 003, cells 4 and 5: the graph is train_step's tape at x = -1; the loop runs a real "
           "tf.keras.optimizers.Adam(1e-1) for 100 steps and prints every 10th: "
           "0 2 -0.393223882 -0.9 -1, then loss 0 as x coasts up to 0.99.",
           _cells(('003', 4), ('003', 5))),
]

PRINTED = {
    'py_two_step_1': ['Step 1 Output 36.0', 'Step 2 Output 183.0', 'Gradient for step 1 12.0'],
    'py_two_step_2': ['Step 1 Output 36.0', 'Step 2 Output 183.0', 'Gradient for step 1 60.0'],
    'py_bad_step_7': ['Step 1 Output 36.0', 'Step 2 Output 183.0', 'First step output  49.0', 'Second step output  248.0', 'Gradient for Step 1  14.0', 'Gradient for Step 2  70.0'],
    'py_bad_step_2': ['Step 1 Output 36.0', 'Step 2 Output 183.0', 'First step output  0.0', 'Second step output  3.0', 'Gradient for Step 1  None', 'Gradient for Step 2  None'],
    'py_straight_2': ['Step 1 Output 36.0', 'Step 2 Output 183.0', 'First step output  0.0', 'Second step output  3.0', 'Gradient for Step 1  1.0', 'Gradient for Step 2  5.0'],
    'py_straight_7': ['Step 1 Output 36.0', 'Step 2 Output 183.0', 'First step output  49.0', 'Second step output  248.0', 'Gradient for Step 1  14.0', 'Gradient for Step 2  70.0'],
    'py_foo': ['x=2.0\ty=4.0', 'x=4.0\ty=16.0', 'x=16.0\ty=256.0', 'x=16.0\tupstream=1.0\tcurrent=32.0\t\tdownstream=32.0', 'x=4.0\tupstream=32.0\tcurrent=8.0\t\tdownstream=256.0', 'x=2.0\tupstream=256.0\tcurrent=4.0\t\tdownstream=1024.0', '', 'final dy/dx=1024.0'],
    'py_f_variables': ['[<tf.Tensor: shape=(), dtype=float32, numpy=36.0>, <tf.Tensor: shape=(), dtype=float32, numpy=10.0>]'],
    'py_f_finite': ['36.000003007075065', '10.000000003174137', '[<tf.Tensor: shape=(), dtype=float32, numpy=36.0>, <tf.Tensor: shape=(), dtype=float32, numpy=10.0>]'],
    'py_f_tape_once': ['<tf.Tensor: shape=(), dtype=float32, numpy=36.0>', 'RuntimeError: A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)'],
    'py_f_persistent': ['<tf.Tensor: shape=(), dtype=float32, numpy=36.0>', '<tf.Tensor: shape=(), dtype=float32, numpy=10.0>'],
    'py_f_constants': ['[None, None]'],
    'py_f_watch': ['[<tf.Tensor: shape=(), dtype=float32, numpy=36.0>, <tf.Tensor: shape=(), dtype=float32, numpy=10.0>]'],
    'py_f_multi': ['[<tf.Tensor: shape=(), dtype=float32, numpy=136.0>, <tf.Tensor: shape=(), dtype=float32, numpy=30.0>]'],
    'py_f_stack': ['<tf.Tensor: shape=(2,), dtype=float32, numpy=array([136.,  30.], dtype=float32)>'],
    'py_hessian': ['[<tf.Tensor: shape=(), dtype=float32, numpy=36.0>, <tf.Tensor: shape=(), dtype=float32, numpy=10.0>]', '[[<tf.Tensor: shape=(), dtype=float32, numpy=6.0>, <tf.Tensor: shape=(), dtype=float32, numpy=2.0>], [<tf.Tensor: shape=(), dtype=float32, numpy=2.0>, None]]'],
    'py_f_stop': ['[<tf.Tensor: shape=(), dtype=float32, numpy=30.0>, None]'],
    'py_softplus': ['[<tf.Tensor: shape=(1,), dtype=float32, numpy=array([nan], dtype=float32)>]'],
    'py_softplus_where': ['(<tf.Tensor: shape=(1,), dtype=float32, numpy=array([1000.], dtype=float32)>, [<tf.Tensor: shape=(1,), dtype=float32, numpy=array([nan], dtype=float32)>])'],
    'py_softplus_custom': None,
    'py_bar': ['6', '3', '2', 'None'],
    'py_sign': ['1', '0.0451766551', '2', '0.0903533101'],
    'py_sign_train': ['1', '0.0451766551', '2', '0.0903533101'] + TRAINING_PRINTED,
}
